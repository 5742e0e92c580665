import { InvalidInputError } from './domain-error.js';
import { isUuid } from './uuid.js';

/** Position in a newest-first listing: the last item's (createdAt, id). Opaque to clients. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

// Exactly what encodeCursor writes (Date#toISOString for years 0000-9999): no signed six-digit years
// (JavaScript dates reach year -271821, PostgreSQL's timestamps do not), no offsets, no loose formats.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeCursor({ createdAt, id }: Cursor): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  const malformed = () => new InvalidInputError('cursor is malformed; pass the nextCursor of a previous page');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw malformed();
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || !ISO_INSTANT.test(at) || !isUuid(id)) throw malformed();
  const createdAt = new Date(at);
  // Round trip: refuses impossible dates the pattern lets through (2026-02-30, 25:00).
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at) throw malformed();
  return { createdAt, id };
}
