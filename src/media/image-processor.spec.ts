import sharp from 'sharp';
import type { AppConfig } from '../config/config.js';
import { ImageProcessor, sniff } from './image-processor.js';

const pad = (bytes: number[] | string) => Buffer.concat([Buffer.from(bytes as never), Buffer.alloc(16)]);

describe('sniff', () => {
  it.each([
    ['png', pad([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
    ['jpeg', pad([0xff, 0xd8, 0xff, 0xe0])],
    ['GIF', pad('GIF89a')],
    ['WebP', pad('RIFF\0\0\0\0WEBPVP8 ')],
    ['TIFF', pad('II*\0')],
    ['BMP', pad('BM')],
    ['AVIF/HEIF', pad('\0\0\0\x1cftypavif')],
    ['AVIF/HEIF', pad('\0\0\0\x18ftypheic')],
    ['SVG', pad('<?xml version="1.0"?><svg')],
    ['SVG', pad('  <svg xmlns="http://www.w3.org/2000/svg">')],
    [null, pad('hello world, plain text')],
    [null, Buffer.from([0x89, 0x50])],
  ])('%s', (expected, head) => {
    expect(sniff(head)).toBe(expected);
  });
});

describe('ImageProcessor.thumbnails', () => {
  const processor = new ImageProcessor({ maxInputPixels: 50_000_000 } as AppConfig);

  it('makes every height from one decode, widths in the original’s proportion, never enlarged', async () => {
    const original = await sharp({ create: { width: 1000, height: 750, channels: 3, background: '#369' } })
      .jpeg()
      .toBuffer();
    const out = await processor.thumbnails(original, [200, 400, 1000, 333], 'jpeg');
    const sizes = await Promise.all(
      [...out.entries()].map(async ([h, data]) => [
        h,
        (await sharp(data).metadata()).width,
        (await sharp(data).metadata()).height,
      ]),
    );
    expect(sizes.sort((a, b) => a[0] - b[0])).toEqual([
      [200, 267, 200],
      [333, 444, 333],
      [400, 533, 400],
      [1000, 1000, 750],
    ]);
  });

  it('keeps PNG with alpha as PNG with alpha', async () => {
    const original = await sharp({
      create: { width: 300, height: 300, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } },
    })
      .png()
      .toBuffer();
    const [thumb] = (await processor.thumbnails(original, [100], 'png')).values();
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'png', width: 100, height: 100, hasAlpha: true });
  });
});
