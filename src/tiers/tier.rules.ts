/** Limits of tiers and sizes: the entities, the admin panel and the seed all read them from here. */
export const TIER_NAME_MAX_LENGTH = 100;
export const MIN_HEIGHT = 1;
export const MAX_HEIGHT = 10_000;
/** What a new user gets unless told otherwise. */
export const DEFAULT_TIER = 'Basic';

export const isValidHeight = (value: number): boolean =>
  Number.isInteger(value) && value >= MIN_HEIGHT && value <= MAX_HEIGHT;

/** What a tier may limit; null = no limit beyond the server's own (MAX_UPLOAD_BYTES). */
export interface TierLimits {
  maxUploadBytes: number | null;
  storageQuotaBytes: number | null;
  uploadsPerDay: number | null;
}

export const LIMIT_NAMES: Array<keyof TierLimits> = ['maxUploadBytes', 'storageQuotaBytes', 'uploadsPerDay'];
/** The column types' bounds (bigint for bytes, integer for the count). */
const LIMIT_MAX: Record<keyof TierLimits, number> = {
  maxUploadBytes: Number.MAX_SAFE_INTEGER,
  storageQuotaBytes: Number.MAX_SAFE_INTEGER,
  uploadsPerDay: 2 ** 31 - 1,
};

/** Why a limit value is not acceptable, or undefined when it is (a whole number from 1, or null). */
export function limitProblem(name: keyof TierLimits, value: unknown): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > LIMIT_MAX[name]) {
    return `${name} must be a whole number from 1 to ${LIMIT_MAX[name]}, or none`;
  }
  return undefined;
}
