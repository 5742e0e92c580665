import { decodeCursor, encodeCursor } from './cursor.js';
import { InvalidInputError } from './domain-error.js';

const ID = '6c0d2a43-8a8d-4d7e-9a57-1f0a6f5b2c11';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursor codec', () => {
  it('round-trips (createdAt, id) to the millisecond, as an opaque base64url string', () => {
    const cursor = { createdAt: new Date('2026-11-22T08:00:00.123Z'), id: ID };
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it.each([
    ['not base64 JSON', 'abc'],
    ['an object', b64({ createdAt: '2026-11-22T08:00:00.000Z', id: ID })],
    ['three items', b64(['2026-11-22T08:00:00.000Z', ID, 1])],
    ['a bad date', b64(['yesterday', ID])],
    ['a number for the date', b64([0, ID])],
    ['a bad id', b64(['2026-11-22T08:00:00.000Z', 'x'])],
    ['an upper-case id', b64(['2026-11-22T08:00:00.000Z', ID.toUpperCase()])],
  ])('refuses %s with a 400-kind error', (_name, value) => {
    expect(() => decodeCursor(value)).toThrow(InvalidInputError);
    expect(() => decodeCursor(value)).toThrow(/cursor is malformed/);
  });
});
