import type { ExtraFormat } from './image-format.js';

/** Bits of what an Accept header allows beyond the original's format (see acceptedExtras). */
export const ACCEPTS_AVIF = 1;
export const ACCEPTS_WEBP = 2;
export const FORMAT_BIT: Record<ExtraFormat, number> = { avif: ACCEPTS_AVIF, webp: ACCEPTS_WEBP };

/**
 * Which extra formats an Accept header allows, as bits: `image/avif` or `image/webp` named with q > 0.
 * Wildcards (`*\/*`, `image/*`) do not count: a client gets a new format only when it names it. A type
 * named with q=0 anywhere is refused, even if named again. A q that is not a number from 0 to 1 (RFC 9110
 * allows three decimals; more are tolerated) makes its entry count for nothing; other parameters and unknown
 * types are ignored. Never throws, whatever the input; linear in its length.
 */
export function parseAccept(accept: string): number {
  let allowed = 0;
  let refused = 0;
  let start = 0;
  while (start <= accept.length) {
    let end = accept.indexOf(',', start);
    if (end === -1) end = accept.length;
    const bit = entryBit(accept, start, end);
    if (bit !== 0) {
      const q = quality(accept, start, end);
      if (q > 0) allowed |= bit;
      else if (q === 0) refused |= bit;
    }
    start = end + 1;
  }
  return allowed & ~refused;
}

/** The bit of an entry's media type, or 0 for any other type (compared without case, spaces trimmed). */
function entryBit(accept: string, start: number, end: number): number {
  const semicolon = accept.indexOf(';', start);
  const typeEnd = semicolon !== -1 && semicolon < end ? semicolon : end;
  const type = accept.slice(start, typeEnd).trim();
  if (type.length !== 10) return 0;
  const lower = type.toLowerCase();
  return lower === 'image/avif' ? ACCEPTS_AVIF : lower === 'image/webp' ? ACCEPTS_WEBP : 0;
}

/** The entry's q (1 when absent), or NaN when it is not a number from 0 to 1. */
function quality(accept: string, start: number, end: number): number {
  let q = 1;
  for (const param of accept.slice(start, end).split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
    const value = param.slice(eq + 1).trim();
    q = /^(?:0(?:\.\d*)?|1(?:\.0*)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  }
  return q;
}

const CACHE_ENTRIES = 256;
const CACHE_KEY_CHARS = 1024;
const cache = new Map<string, number>();

/**
 * parseAccept for the serving path: what browsers send is a handful of distinct strings, so answers are
 * kept by the raw header (bounded: at most 256 headers of at most 1 KiB; longer ones are parsed each time).
 * A known header, or none, costs one map lookup and no allocation.
 */
export function acceptedExtras(accept: string | undefined): number {
  if (accept === undefined || accept.length < 10) return 0; // shorter than any type that counts
  const known = cache.get(accept);
  if (known !== undefined) return known;
  const bits = parseAccept(accept);
  if (accept.length <= CACHE_KEY_CHARS) {
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(accept, bits);
  }
  return bits;
}

/**
 * The format to serve, given what the request accepts (acceptedExtras) and which extra formats exist or can
 * be made now (`available`, the same bits): AVIF first, then WebP, else null for the original's format.
 */
export function negotiate(accepted: number, available: number): ExtraFormat | null {
  const usable = accepted & available;
  if (usable & ACCEPTS_AVIF) return 'avif';
  if (usable & ACCEPTS_WEBP) return 'webp';
  return null;
}
