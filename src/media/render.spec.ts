import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToRGBA } from 'thumbhash';
import type { AppConfig } from '../config/config.js';
import { ImageProcessor, servedSize } from './image-processor.js';

const processor = new ImageProcessor({ maxInputPixels: 50_000_000 } as AppConfig);
const noise = (width: number, height: number) =>
  sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  });
const decoded = (hash: string) => thumbHashToRGBA(Buffer.from(hash, 'base64'));

describe('servedSize', () => {
  it('is the height and the width in proportion, rounded; never enlarged', () => {
    expect(servedSize({ width: 1000, height: 750 }, 200)).toEqual({ width: 267, height: 200 });
    expect(servedSize({ width: 1000, height: 750 }, 750)).toEqual({ width: 1000, height: 750 });
    expect(servedSize({ width: 1000, height: 750 }, 2000)).toEqual({ width: 1000, height: 750 });
    expect(servedSize({ width: 5, height: 5000 }, 200)).toEqual({ width: 1, height: 200 });
  });

  // Sizes where sharp's own resize({ height }) lands one pixel off Math.round (JPEG shrink-on-load), found
  // by comparing with real output: 641×479 → 68 px at 50 (67 in proportion), 1999×1001 → 199 at 100 (200).
  it.each([
    [641, 479, [50, 10, 200, 400]],
    [1999, 1001, [100, 400]],
    [1001, 999, [100, 200]],
    [4000, 3000, [200, 400]],
    [333, 777, [200, 400, 1000]],
  ])('is what the files measure, for a %i×%i JPEG', async (width, height, heights) => {
    const original = await noise(width, height).jpeg().toBuffer();
    const { thumbnails } = await processor.thumbnails(original, heights, ['jpeg', 'webp']);
    expect(thumbnails).toHaveLength(heights.length * 2);
    for (const thumbnail of thumbnails) {
      const meta = await sharp(thumbnail.data).metadata();
      expect({ width: meta.width, height: meta.height }).toEqual(servedSize({ width, height }, thumbnail.height));
    }
  });
});

describe('thumbnails in several formats', () => {
  it('encodes every height in every format asked for, from one decode', async () => {
    const original = await noise(800, 600).jpeg().toBuffer();
    const { thumbnails } = await processor.thumbnails(original, [400, 200], ['jpeg', 'webp', 'avif']);
    const seen = await Promise.all(
      thumbnails.map(async (t) => {
        const meta = await sharp(t.data).metadata();
        return `${t.height} ${t.format} ${meta.format} ${meta.width}×${meta.height}`;
      }),
    );
    expect(seen.sort()).toEqual([
      '200 avif heif 267×200',
      '200 jpeg jpeg 267×200',
      '200 webp webp 267×200',
      '400 avif heif 533×400',
      '400 jpeg jpeg 533×400',
      '400 webp webp 533×400',
    ]);
  });

  it('keeps transparency: a PNG with alpha gives WebP and AVIF with alpha, transparent where it was', async () => {
    // Left half opaque red, right half fully transparent.
    const rgba = Buffer.alloc(300 * 200 * 4);
    for (let i = 0; i < 300 * 200; i++) if (i % 300 < 150) rgba.set([255, 0, 0, 255], i * 4);
    const original = await sharp(rgba, { raw: { width: 300, height: 200, channels: 4 } })
      .png()
      .toBuffer();
    const { thumbnails } = await processor.thumbnails(original, [100], ['png', 'webp', 'avif']);
    for (const t of thumbnails) {
      expect(await sharp(t.data).metadata()).toMatchObject({ hasAlpha: true, width: 150, height: 100 });
      const { data, info } = await sharp(t.data).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const alphaAt = (x: number, y: number) => data[(y * info.width + x) * info.channels + 3];
      expect([t.format, alphaAt(10, 50), alphaAt(140, 50)]).toEqual([t.format, 255, 0]);
    }
  });
});

describe('placeholder (ThumbHash)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'render-spec-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [1200, 600, [200, 400]],
    [300, 900, [200]],
    [640, 480, []], // workers mode: the upload only validates, still one decode
    [50, 20, [200]], // smaller than the placeholder's 100 px
  ])('a %i×%i upload gets one that decodes to its aspect ratio', async (width, height, heights) => {
    const path = join(dir, `${width}x${height}.jpg`);
    writeFileSync(path, await noise(width, height).jpeg().toBuffer());
    const { placeholder } = await processor.prepare(path, heights);
    expect(Buffer.from(placeholder, 'base64').length).toBeLessThanOrEqual(30);
    const { w, h } = decoded(placeholder);
    expect(w / h).toBeCloseTo(width / height, 0);
    expect(thumbHashToApproximateAspectRatio(Buffer.from(placeholder, 'base64'))).toBeCloseTo(width / height, 0);
  });

  it('follows EXIF orientation, carries transparency and the average colour', async () => {
    const rotated = await noise(400, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer(); // displayed 200×400
    const { placeholder } = await processor.thumbnails(rotated, [200], ['jpeg']);
    const portrait = decoded(placeholder);
    expect(portrait.h).toBeGreaterThan(portrait.w);

    const clear = await sharp({ create: { width: 200, height: 200, channels: 4, background: '#0000ff80' } })
      .png()
      .toBuffer();
    const { rgba } = decoded((await processor.thumbnails(clear, [100], ['png'])).placeholder);
    const [r, g, b, a] = rgba.subarray(0, 4);
    expect(b).toBeGreaterThan(200);
    expect(r + g).toBeLessThan(40);
    expect(a).toBeGreaterThan(100);
    expect(a).toBeLessThan(160);
  });
});
