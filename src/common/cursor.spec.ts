import { decodeCursor, encodeCursor } from './cursor.js';
import { InvalidInputError } from './domain-error.js';

const ID = '6c0d2a43-8a8d-4d7e-9a57-1f0a6f5b2c11';
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursor codec', () => {
  it('round-trips (createdAt, id) to the millisecond, as an opaque base64url string', () => {
    const cursor = { createdAt: new Date('2026-11-22T08:00:00.123Z'), id: ID };
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it.each([
    ['year -271821 (a valid JavaScript date PostgreSQL cannot hold)', raw(['-271821-04-20T00:00:00.000Z', ID])],
    ['a six-digit year', raw(['+275760-09-13T00:00:00.000Z', ID])],
    ['an impossible day', raw(['2026-02-30T00:00:00.000Z', ID])],
    ['an hour past 23', raw(['2026-02-01T25:00:00.000Z', ID])],
    ['a date without a time', raw(['2026-02-01', ID])],
    ['a time zone offset', raw(['2026-02-01T00:00:00.000+02:00', ID])],
    ['a word for the date', raw(['yesterday', ID])],
    ['a number for the date', raw([1_700_000_000_000, ID])],
    ['an id that is not a UUID', raw(['2026-02-01T00:00:00.000Z', '1; DROP TABLE images'])],
    ['an upper-case id', raw(['2026-02-01T00:00:00.000Z', ID.toUpperCase()])],
    ['a braced id', raw(['2026-02-01T00:00:00.000Z', `{${ID}}`])],
    ['three elements', raw(['2026-02-01T00:00:00.000Z', ID, 1])],
    ['an object', raw({ createdAt: '2026-02-01T00:00:00.000Z', id: ID })],
    ['not JSON', Buffer.from('nope').toString('base64url')],
  ])('refuses %s with a 400-kind error', (_name, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidInputError);
    expect(() => decodeCursor(cursor)).toThrow(/cursor is malformed/);
  });
});
