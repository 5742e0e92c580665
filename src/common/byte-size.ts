/**
 * Byte sizes as people write and read them: plain bytes or binary units (KiB, MiB, GiB, TiB). The one home
 * for parsing and printing them: the CLI's `set-tier` options, the admin panel's Tier form and the messages
 * that name a limit all go through here.
 */
const UNITS = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
] as const;

const FACTOR: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const UNIT_NAMES = 'B, KiB, MiB, GiB or TiB';

/** Why a byte size could not be read; the message says what to write instead. */
export class ByteSizeError extends Error {}

/**
 * A whole, positive number of bytes from "52428800", "50KiB", "1.5 GiB" (units case-insensitive, a space
 * allowed, fractions rounded to a whole byte). Throws ByteSizeError with a one-line reason otherwise.
 */
export function parseByteSize(text: string): number {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!match) throw new ByteSizeError(`"${text}" is not a size: write a number with ${UNIT_NAMES}, such as 50MiB`);
  const [, amount, unit] = match;
  const factor = unit ? FACTOR[unit.toLowerCase()] : 1;
  if (factor === undefined) throw new ByteSizeError(`unknown unit "${unit}" in "${text}": use ${UNIT_NAMES}`);
  const bytes = Math.round(Number(amount) * factor);
  if (!(bytes >= 1)) throw new ByteSizeError(`"${text}" must be at least 1 byte`);
  if (!Number.isSafeInteger(bytes)) throw new ByteSizeError(`"${text}" is too large`);
  return bytes;
}

/**
 * Exactly `bytes`, in the largest unit that divides it ("50 KiB", "1 GiB"), else in bytes ("1000 B"):
 * parseByteSize reads it back to the same number (forms and CLI output).
 */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of UNITS) if (bytes !== 0 && bytes % size === 0) return `${bytes / size} ${unit}`;
  return `${bytes} B`;
}

/** Roughly, for reading ("1.18 MiB", "512 B"): at most two decimals, trailing zeros dropped. */
export function describeBytes(bytes: number): string {
  for (const [unit, size] of UNITS) {
    if (Math.abs(bytes) >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} B`;
}
