import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import type { ThumbnailFormat } from './image-format.js';

/** One encoded thumbnail: its variant height (the tier's), what it is encoded as, and its bytes. */
export interface Thumbnail {
  height: number;
  format: ThumbnailFormat;
  data: Buffer;
}

/** Decoded pixels (8 bits a sample) and their layout. */
export interface Pixels {
  data: Buffer;
  info: Pick<OutputInfo, 'width' | 'height' | 'channels'>;
}

/**
 * Encoder settings per format. WebP and AVIF are lossy for PNG originals too (alpha kept). AVIF effort 2:
 * on photographs it is within about 3% of effort 4's bytes at about a seventh of its time (README, "Thumbnail
 * formats"); AVIF is made in the background anyway.
 */
const ENCODERS: Record<ThumbnailFormat, (image: Sharp) => Sharp> = {
  png: (image) => image.png({ compressionLevel: 6, adaptiveFiltering: true }),
  jpeg: (image) => image.jpeg({ quality: 82, mozjpeg: true }),
  webp: (image) => image.webp({ quality: 80, effort: 4 }),
  avif: (image) => image.avif({ quality: 50, effort: 2 }),
};

/**
 * The size of the thumbnail `height` high of an image `full` (as displayed): that height and the width in
 * proportion, rounded to the nearest pixel (at least 1); an image not taller than `height` is served at its
 * own size, never enlarged. The pixels made are exactly these (sharp's own rounding can differ by one when it
 * shrinks on load, so render() asks for both sides).
 */
export function servedSize(full: { width: number; height: number }, height: number): { width: number; height: number } {
  if (height >= full.height) return { width: full.width, height: full.height };
  return { width: Math.max(1, Math.round((full.width * height) / full.height)), height };
}

/** Every sharp pipeline that decodes or encodes is stopped after this long (sharp's `timeout`). */
export const SHARP_TIMEOUT_SECONDS = 30;

const rawInput = (pixels: Pixels, limitInputPixels: number) =>
  sharp(pixels.data, { raw: pixels.info, limitInputPixels }).timeout({ seconds: SHARP_TIMEOUT_SECONDS });

/**
 * Encodes every (height, format) from one decoded intermediate at least as large as the largest thumbnail:
 * each height is resized once (to its servedSize exactly), then encoded in each format.
 */
export async function render(
  top: Pixels,
  full: { width: number; height: number },
  heights: readonly number[],
  formats: readonly ThumbnailFormat[],
  limitInputPixels: number,
): Promise<Thumbnail[]> {
  const perHeight = await Promise.all(
    [...new Set(heights)].map(async (height) => {
      const size = servedSize(full, height);
      const pixels =
        size.width === top.info.width && size.height === top.info.height
          ? top
          : await resizeRaw(rawInput(top, limitInputPixels).resize({ ...size, fit: 'fill' }));
      return Promise.all(
        formats.map(async (format) => ({
          height,
          format,
          data: await ENCODERS[format](rawInput(pixels, limitInputPixels)).toBuffer(),
        })),
      );
    }),
  );
  return perHeight.flat();
}

async function resizeRaw(pipeline: Sharp): Promise<Pixels> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, info };
}

/** ThumbHash's input limit: at most 100 pixels a side. */
export const PLACEHOLDER_SIDE = 100;

/**
 * A ThumbHash of decoded pixels (any size; scaled down to fit 100×100 first), base64: about 25 bytes that a
 * client turns into a blurred preview with the right colours, aspect ratio and transparency.
 */
export async function placeholderOf(pixels: Pixels, limitInputPixels: number): Promise<string> {
  const { data, info } = await rawInput(pixels, limitInputPixels)
    .resize(PLACEHOLDER_SIDE, PLACEHOLDER_SIDE, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString('base64');
}
