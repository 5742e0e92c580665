/** Limits of tiers and sizes: the entities, the admin panel and the seed all read them from here. */
export const TIER_NAME_MAX_LENGTH = 100;
export const MIN_HEIGHT = 1;
export const MAX_HEIGHT = 10_000;
/** What a new user gets unless told otherwise. */
export const DEFAULT_TIER = 'Basic';

export const isValidHeight = (value: number): boolean =>
  Number.isInteger(value) && value >= MIN_HEIGHT && value <= MAX_HEIGHT;
