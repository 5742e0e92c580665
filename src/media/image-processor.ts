import { Injectable } from '@nestjs/common';
import { open } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import type { ImageFormat } from './image-format.js';
import { InvalidImageError, UnsupportedImageError } from './media.errors.js';

export interface ImageInfo {
  format: ImageFormat;
  /** As displayed, EXIF orientation applied. */
  width: number;
  height: number;
}

const SIGNATURES: Array<{ name: string; test: (b: Buffer) => boolean }> = [
  { name: 'png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { name: 'jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { name: 'GIF', test: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  {
    name: 'WebP',
    test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
  { name: 'TIFF', test: (b) => ['II*\0', 'MM\0*'].includes(b.subarray(0, 4).toString('latin1')) },
  { name: 'BMP', test: (b) => b.subarray(0, 2).toString('latin1') === 'BM' },
  { name: 'ICO', test: (b) => b.readUInt32BE(0) === 0x00000100 },
  { name: 'PSD', test: (b) => b.subarray(0, 4).toString('latin1') === '8BPS' },
  { name: 'JPEG 2000', test: (b) => b.subarray(4, 8).toString('latin1') === 'jP  ' },
  { name: 'JPEG XL', test: (b) => (b[0] === 0xff && b[1] === 0x0a) || b.subarray(4, 8).toString('latin1') === 'JXL ' },
  {
    // ISO-BMFF: AVIF, HEIC, HEIF
    name: 'AVIF/HEIF',
    test: (b) =>
      b.subarray(4, 8).toString('latin1') === 'ftyp' &&
      /^(avi|hei|hev|mif|msf)/.test(b.subarray(8, 12).toString('latin1')),
  },
  { name: 'SVG', test: (b) => /^(\xef\xbb\xbf)?\s*(<\?xml|<svg|<!doctype svg)/i.test(b.toString('latin1')) },
];

/** The format named by the first bytes: 'png' or 'jpeg', another image format's name, or null for not an image. */
export function sniff(head: Buffer): string | null {
  if (head.length < 12) return null;
  return SIGNATURES.find((s) => s.test(head))?.name ?? null;
}

// Every input is seen once (uploads) or rarely (thumbnails, kept after): libvips' operation cache would only
// hold memory.
sharp.cache(false);

/**
 * The only place that talks to sharp. Refusals are cheap first: magic bytes, then the header's pixel count
 * (before any decoding), then one full decode that finds broken and truncated files.
 */
@Injectable()
export class ImageProcessor {
  /** Validates an uploaded file: 415 for other formats, 400 for everything that is not a sound PNG or JPEG. */
  async inspect(path: string, maxInputPixels: number): Promise<ImageInfo> {
    const head = Buffer.alloc(64);
    const file = await open(path, 'r');
    try {
      await file.read(head, 0, head.length, 0);
    } finally {
      await file.close();
    }
    const kind = sniff(head);
    if (kind === null) throw new InvalidImageError('The file is not an image; upload a PNG or JPEG file');
    if (kind !== 'png' && kind !== 'jpeg') {
      throw new UnsupportedImageError(`${kind} images are not accepted; upload a PNG or JPEG file`);
    }

    let metadata: Metadata;
    try {
      metadata = await sharp(path, { limitInputPixels: false }).metadata();
    } catch {
      throw new InvalidImageError(`The file is not a readable ${kind.toUpperCase()} image`);
    }
    if (metadata.format !== kind || !metadata.width || !metadata.height) {
      throw new InvalidImageError(`The file is not a readable ${kind.toUpperCase()} image`);
    }
    const pixels = metadata.width * metadata.height;
    if (pixels > maxInputPixels) {
      throw new InvalidImageError(
        `The image has ${metadata.width}×${metadata.height} = ${pixels} pixels; the limit is ${maxInputPixels}`,
      );
    }

    try {
      // One full, sequential decode to a tiny output: finds corrupt and truncated data without holding the image.
      await sharp(path, { limitInputPixels: maxInputPixels, failOn: 'truncated', sequentialRead: true })
        .resize(16, 16, { fit: 'inside' })
        .raw()
        .toBuffer();
    } catch {
      throw new InvalidImageError(`The ${kind.toUpperCase()} image is broken or truncated`);
    }

    const oriented = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
    return { format: kind, width: oriented.width, height: oriented.height };
  }

  /**
   * Thumbnails `heights` pixels high (never enlarged), width in proportion, EXIF orientation applied,
   * metadata stripped, in the original's format (PNG keeps its alpha channel). The original is decoded once,
   * straight to the largest height (JPEG shrink-on-load), and the smaller ones are made from that.
   */
  async thumbnails(original: Buffer, heights: number[], format: ImageFormat): Promise<Map<number, Buffer>> {
    const descending = [...new Set(heights)].sort((a, b) => b - a);
    const input = sharp(original, { limitInputPixels: false, failOn: 'none' });
    const { autoOrient: full } = await input.metadata(); // header only: the displayed size
    const { data, info } = await input
      .autoOrient()
      .resize({ height: descending[0], withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const encoded = await Promise.all(
      descending.map(async (height) => {
        let pipeline = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
        // Widths from the original's proportions, not the intermediate's (rounded once, not twice).
        if (height < info.height) {
          const width = Math.max(1, Math.round((full.width * height) / full.height));
          pipeline = pipeline.resize({ width, height, fit: 'fill' });
        }
        const output =
          format === 'png'
            ? pipeline.png({ compressionLevel: 6, adaptiveFiltering: true })
            : pipeline.jpeg({ quality: 82, mozjpeg: true });
        return [height, await output.toBuffer()] as const;
      }),
    );
    return new Map(encoded);
  }
}
