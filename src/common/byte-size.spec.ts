import { ByteSizeError, describeBytes, formatByteSize, parseByteSize } from './byte-size.js';

describe('byte sizes', () => {
  it.each([
    ['52428800', 52_428_800],
    ['50KiB', 51_200],
    ['50 kib', 51_200],
    ['1GiB', 1024 ** 3],
    ['1.5 MiB', 1_572_864],
    ['2 TiB', 2 * 1024 ** 4],
    ['700 B', 700],
    ['3 bytes', 3],
  ])('reads %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each([
    ['-5', /at least 1 byte/],
    ['0', /at least 1 byte/],
    ['0KiB', /at least 1 byte/],
    ['50KB', /unknown unit "KB".*KiB/],
    ['10 parsecs', /unknown unit "parsecs"/],
    ['lots', /not a size/],
    ['', /not a size/],
    ['1e3', /not a size/],
    ['99999999 TiB', /too large/],
  ])('refuses %s with a one-line reason', (text, reason) => {
    expect(() => parseByteSize(text)).toThrow(ByteSizeError);
    expect(() => parseByteSize(text)).toThrow(reason);
    try {
      parseByteSize(text);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it.each([
    [51_200, '50 KiB'],
    [1024 ** 3, '1 GiB'],
    [1_572_864, '1536 KiB'],
    [1000, '1000 B'],
    [0, '0 B'],
  ])('prints %d exactly as %s, which reads back to the same number', (bytes, text) => {
    expect(formatByteSize(bytes)).toBe(text);
    if (bytes > 0) expect(parseByteSize(formatByteSize(bytes))).toBe(bytes);
  });

  it('describes sizes roughly for reading', () => {
    expect(describeBytes(1_234_567)).toBe('1.18 MiB');
    expect(describeBytes(512)).toBe('512 B');
    expect(describeBytes(1024 ** 3)).toBe('1 GiB');
  });
});
