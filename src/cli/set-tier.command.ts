import { parseArgs } from 'node:util';
import { ByteSizeError, formatByteSize, parseByteSize } from '../common/byte-size.js';
import type { TierLimits } from '../tiers/tier.rules.js';
import { isValidHeight, MAX_HEIGHT, MIN_HEIGHT, TIER_NAME_MAX_LENGTH } from '../tiers/tier.rules.js';
import type { TierPlan } from '../tiers/tiers.service.js';
import type { Tier } from '../tiers/tier.entity.js';

export const SET_TIER_USAGE = `  npm run cli -- set-tier <name> [--heights 200,400] [--original | --no-original]
      [--expiring | --no-expiring] [--max-upload 50MiB] [--storage-quota 1GiB] [--uploads-per-day 100]

Creates the tier, or updates the one with that name (what is not given stays as it is; a new tier starts
with no sizes, no original link, no expiring links and no limits). --heights lists every thumbnail height
the tier grants (sizes are created as needed; "none" for no thumbnails). Sizes are plain bytes or KiB,
MiB, GiB; "none" clears a limit.`;

/** A value the user must fix: the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {}

const OPTIONS = {
  heights: { type: 'string' },
  original: { type: 'boolean' },
  'no-original': { type: 'boolean' },
  expiring: { type: 'boolean' },
  'no-expiring': { type: 'boolean' },
  'max-upload': { type: 'string' },
  'storage-quota': { type: 'string' },
  'uploads-per-day': { type: 'string' },
} as const;

function flag(values: Record<string, unknown>, name: string): boolean | undefined {
  if (values[name] && values[`no-${name}`]) throw new UsageError(`--${name} and --no-${name} exclude each other`);
  return values[name] ? true : values[`no-${name}`] ? false : undefined;
}

function heights(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  if (text.trim().toLowerCase() === 'none' || text.trim() === '') return [];
  return text.split(',').map((part) => {
    const height = /^\s*\d+\s*$/.test(part) ? Number(part) : NaN;
    if (!isValidHeight(height)) {
      throw new UsageError(`--heights: "${part.trim()}" is not a whole number from ${MIN_HEIGHT} to ${MAX_HEIGHT}`);
    }
    return height;
  });
}

function size(option: string, text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text.trim().toLowerCase() === 'none') return null;
  try {
    return parseByteSize(text);
  } catch (error) {
    if (error instanceof ByteSizeError) throw new UsageError(`--${option}: ${error.message}`);
    throw error;
  }
}

function count(option: string, text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text.trim().toLowerCase() === 'none') return null;
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new UsageError(`--${option}: "${text}" must be a whole number from 1 to ${2 ** 31 - 1}, or none`);
  }
  return value;
}

/** `set-tier` arguments (after the command) as a plan for TiersService.setTier. */
export function parseSetTier(args: string[]): TierPlan {
  // "--max-upload -5" is a value to refuse for what it is, not an option: give it to the option.
  const joined = args.flatMap((arg, i) =>
    OPTIONS[arg.slice(2) as keyof typeof OPTIONS]?.type === 'string' && /^-\d/.test(args[i + 1] ?? '')
      ? [`${arg}=${args[i + 1]}`]
      : i > 0 && OPTIONS[args[i - 1].slice(2) as keyof typeof OPTIONS]?.type === 'string' && /^-\d/.test(arg)
        ? []
        : [arg],
  );
  const { positionals, values } = parseArgs({ args: joined, allowPositionals: true, options: OPTIONS });
  const [name, ...extra] = positionals;
  if (!name?.trim() || extra.length > 0) throw new UsageError('set-tier takes exactly one tier name');
  if (name.trim().length > TIER_NAME_MAX_LENGTH) {
    throw new UsageError(`The tier name must be at most ${TIER_NAME_MAX_LENGTH} characters`);
  }
  const limits: Partial<TierLimits> = {
    maxUploadBytes: size('max-upload', values['max-upload']),
    storageQuotaBytes: size('storage-quota', values['storage-quota']),
    uploadsPerDay: count('uploads-per-day', values['uploads-per-day']),
  };
  return {
    name: name.trim(),
    heights: heights(values.heights),
    originalLink: flag(values, 'original'),
    expiringLinks: flag(values, 'expiring'),
    limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
  };
}

/** One line saying what the tier now is. */
export function describeTier(tier: Tier, heights: number[], created: boolean): string {
  const bytes = (value: number | null) => (value === null ? 'none' : formatByteSize(value));
  return (
    `${created ? 'Created' : 'Updated'} tier ${tier.name}: heights ${heights.join(', ') || 'none'}; ` +
    `original link ${tier.originalLink ? 'yes' : 'no'}; expiring links ${tier.expiringLinks ? 'yes' : 'no'}; ` +
    `max upload ${bytes(tier.maxUploadBytes)}; storage quota ${bytes(tier.storageQuotaBytes)}; ` +
    `uploads per day ${tier.uploadsPerDay ?? 'none'}`
  );
}
