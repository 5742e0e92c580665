import { HotFiles } from './hot-files.js';

const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe('HotFiles', () => {
  it('keeps small files within a byte budget, least recently used out first', () => {
    const files = new HotFiles(1000, 400);
    files.set('a', '200', bytes(400));
    files.set('b', '200', bytes(400));
    files.get('a', '200'); // a is now the most recent
    files.set('c', '200', bytes(400)); // 1200 > 1000: b goes
    expect(files.get('a', '200')).toEqual(bytes(400));
    expect(files.get('b', '200')).toBeUndefined();
    expect(files.get('c', '200')).toEqual(bytes(400));
    expect(files.stats).toEqual({ entries: 2, bytes: 800 });
  });

  it('never keeps a file over the per-file limit', () => {
    const files = new HotFiles(10_000, 400);
    expect(files.fits(401)).toBe(false);
    files.set('a', 'original', bytes(401));
    expect(files.get('a', 'original')).toBeUndefined();
  });

  it('forgets every variant of a deleted image, and only those', () => {
    const files = new HotFiles(10_000, 400);
    files.set('a', '200', bytes(10));
    files.set('a', '400', bytes(10));
    files.set('b', '200', bytes(10));
    files.forget('a');
    expect(files.get('a', '200')).toBeUndefined();
    expect(files.get('a', '400')).toBeUndefined();
    expect(files.get('b', '200')).toEqual(bytes(10));
    files.forget('b');
    expect(files.stats).toEqual({ entries: 0, bytes: 0 });
  });

  it('keeps each format of a thumbnail apart, and forgets them all with their image', () => {
    const files = new HotFiles(10_000, 400);
    files.set('a', '200', bytes(10, 1));
    files.set('a', '200', bytes(10, 2), files.now(), 'webp');
    files.set('a', '200', bytes(10, 3), files.now(), 'avif');
    expect(files.get('a', '200')).toEqual(bytes(10, 1));
    expect(files.get('a', '200', 'webp')).toEqual(bytes(10, 2));
    expect(files.get('a', '200', 'avif')).toEqual(bytes(10, 3));
    files.forget('a');
    expect([files.get('a', '200'), files.get('a', '200', 'webp'), files.get('a', '200', 'avif')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(files.stats).toEqual({ entries: 0, bytes: 0 });
  });

  it('does not keep a file read before a deletion arrived', () => {
    const files = new HotFiles(10_000, 400);
    const readAt = files.now();
    files.forget('a'); // the image was deleted while its file was being read
    files.set('a', '200', bytes(10), readAt);
    expect(files.get('a', '200')).toBeUndefined();
    files.set('a', '200', bytes(10), files.now());
    expect(files.get('a', '200')).toEqual(bytes(10));
  });

  it('keeps nothing with a budget of 0', () => {
    const files = new HotFiles(0, 400);
    files.set('a', '200', bytes(10));
    expect(files.fits(10)).toBe(false);
    expect(files.get('a', '200')).toBeUndefined();
  });
});
