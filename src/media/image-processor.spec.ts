import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { InvalidImageError } from './media.errors.js';
import type { AppConfig } from '../config/config.js';
import { decodeBudget, decodeCost, ImageProcessor, sniff } from './image-processor.js';

const processor = new ImageProcessor({ maxInputPixels: 50_000_000 } as AppConfig);

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
  it('makes every height from one decode, widths in the original’s proportion, never enlarged', async () => {
    const original = await sharp({ create: { width: 1000, height: 750, channels: 3, background: '#369' } })
      .jpeg()
      .toBuffer();
    const out = await processor.thumbnails(original, [200, 400, 1000, 333], ['jpeg']);
    const sizes = await Promise.all(
      out.thumbnails.map(async ({ height, data }) => [
        height,
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
    const [thumb] = (await processor.thumbnails(original, [100], ['png'])).thumbnails;
    expect(await sharp(thumb.data).metadata()).toMatchObject({
      format: 'png',
      width: 100,
      height: 100,
      hasAlpha: true,
    });
  });
});

describe('decodeCost', () => {
  const png16 = { format: 'png', width: 6000, height: 6000, channels: 3, depth: 'ushort' } as const;

  it('counts channels and bytes per sample; an interlaced PNG is held whole, a sequential one by rows', () => {
    expect(decodeCost({ ...png16, isProgressive: true })).toEqual({
      decodedBytes: 216_000_000,
      residentBytes: 216_000_000,
      interlaced: true,
    });
    const sequential = decodeCost({ ...png16, isProgressive: false });
    expect(sequential.decodedBytes).toBe(216_000_000);
    expect(sequential.residentBytes).toBe(36_000 * 256); // 256 rows of 6000 × 3 × 2 bytes
    expect(decodeCost({ ...png16, channels: 4, depth: 'uchar', isProgressive: false }).decodedBytes).toBe(144_000_000);
  });

  it('counts a progressive JPEG’s DCT coefficients: 2 bytes a sample, chroma subsampled', () => {
    const jpeg = {
      format: 'jpeg',
      width: 4000,
      height: 3000,
      channels: 3,
      depth: 'uchar',
      isProgressive: true,
    } as const;
    expect(decodeCost({ ...jpeg, chromaSubsampling: '4:2:0' }).residentBytes).toBe(12_000_000 * 1.5 * 2);
    expect(decodeCost({ ...jpeg, chromaSubsampling: '4:4:4' }).residentBytes).toBe(12_000_000 * 3 * 2);
    expect(decodeCost({ ...jpeg, isProgressive: false }).residentBytes).toBe(4 * 1024 * 1024);
  });

  it('derives the budget from MAX_INPUT_PIXELS: the largest accepted image as 8-bit RGBA', () => {
    expect(decodeBudget(50_000_000)).toBe(200_000_000);
  });
});

describe('ImageProcessor.prepare (uploads)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'image-processor-spec-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, data: Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  const flat = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#369' } });

  it('validates and makes the thumbnails in one decode, with the displayed size', async () => {
    const path = file('photo.jpg', await flat(1200, 900).jpeg().toBuffer());
    const { info, thumbnails } = await processor.prepare(path, [400, 200]);
    expect(info).toEqual({ format: 'jpeg', width: 1200, height: 900 });
    const byHeight = (h: number) => thumbnails.find((t) => t.height === h)!.data;
    const sizes = await Promise.all([200, 400].map(async (h) => sharp(byHeight(h)).metadata()));
    expect(sizes.map((m) => [m.format, m.width, m.height])).toEqual([
      ['jpeg', 267, 200],
      ['jpeg', 533, 400],
    ]);
  });

  it('finds truncation while making the thumbnails, and without any heights', async () => {
    const whole = await sharp(Buffer.alloc(600 * 400 * 3, 7), { raw: { width: 600, height: 400, channels: 3 } })
      .jpeg()
      .toBuffer();
    const path = file('cut.jpg', whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(processor.prepare(path, [200])).rejects.toThrow(/broken or truncated/);
    await expect(processor.prepare(path, [])).rejects.toThrow(/broken or truncated/);
  });

  it('refuses a 6000×6000 16-bit interlaced PNG from its header, naming what it would cost', async () => {
    const path = file(
      'bomb16.png',
      await flat(6000, 6000).toColourspace('rgb16').png({ progressive: true }).toBuffer(),
    );
    const refusal = processor.prepare(path, [200, 400]);
    await expect(refusal).rejects.toBeInstanceOf(InvalidImageError);
    await expect(refusal).rejects.toThrow(
      'The 6000×6000 PNG image (3 channels of 16 bits, interlaced) needs 216 MB to decode; the limit is 200 MB',
    );
    expect(processor.gate.active.count).toBe(0);
  });

  it('counts depth and interlacing against a smaller MAX_INPUT_PIXELS too', async () => {
    const small = new ImageProcessor({ maxInputPixels: 1_000_000 } as AppConfig); // budget 4 MB
    const png = (depth16: boolean, progressive: boolean) =>
      (depth16 ? flat(900, 900).toColourspace('rgb16') : flat(900, 900)).png({ progressive }).toBuffer();
    // 900×900×3 at 8 bits = 2.4 MB: accepted, interlaced or not; at 16 bits = 4.9 MB: refused either way.
    for (const progressive of [false, true]) {
      await expect(small.prepare(file('ok.png', await png(false, progressive)), [100])).resolves.toMatchObject({
        info: { format: 'png', width: 900, height: 900 },
      });
      await expect(small.prepare(file('deep.png', await png(true, progressive)), [100])).rejects.toThrow(
        /needs 5 MB to decode; the limit is 4 MB/,
      );
    }
  });

  it('refuses more pixels than MAX_INPUT_PIXELS from the header, with the PNG’s size', async () => {
    const small = new ImageProcessor({ maxInputPixels: 10_000 } as AppConfig);
    await expect(small.prepare(file('wide.png', await flat(200, 100).png().toBuffer()), [])).rejects.toThrow(
      'The image has 200×100 = 20000 pixels; the limit is 10000',
    );
    await expect(small.prepare(file('wide.jpg', await flat(200, 100).jpeg().toBuffer()), [])).rejects.toThrow(
      'The image has more pixels than allowed; the limit is 10000',
    );
  });
});
