import { Injectable } from '@nestjs/common';
import { open, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { AppConfig } from '../config/config.js';
import { DecodeGate } from './decode-gate.js';
import type { ImageFormat } from './image-format.js';
import { countJpegScans, MAX_JPEG_SCANS } from './jpeg-scans.js';
import { InvalidImageError, UnsupportedImageError } from './media.errors.js';
import { pngSize, sniff } from './sniff.js';

export { sniff } from './sniff.js';

export interface ImageInfo {
  format: ImageFormat;
  /** As displayed, EXIF orientation applied. */
  width: number;
  height: number;
}

/** What an upload gives: its description, and the thumbnails made in the same decode (height → file). */
export interface PreparedImage {
  info: ImageInfo;
  thumbnails: Map<number, Buffer>;
}

/** What decoding an image costs, from its header alone. */
export interface DecodeCost {
  /** Every sample the decoder produces: width × height × channels × bytes per sample. */
  decodedBytes: number;
  /**
   * What the decoder holds at once. Interlaced (Adam7) PNGs are decoded whole in memory (every pass touches
   * every row), progressive JPEGs keep all their DCT coefficients (2 bytes a sample, chroma subsampled);
   * anything else is read in sequence, a window of rows at a time.
   */
  residentBytes: number;
  /** Interlaced PNG or progressive JPEG. */
  interlaced: boolean;
}

const MiB = 1024 * 1024;
const BYTES_PER_SAMPLE: Record<string, number> = { uchar: 1, char: 1, ushort: 2, short: 2, uint: 4, int: 4, float: 4 };
/** Samples per pixel kept by a JPEG decoder for each chroma subsampling (luma + two chroma planes). */
const JPEG_PLANES: Record<string, number> = { '4:4:4': 3, '4:2:2': 2, '4:4:0': 2, '4:2:0': 1.5, '4:1:1': 1.5 };

/** What decoding costs, from the header's size, channels, sample format and interlacing (sharp's metadata). */
export function decodeCost(
  metadata: Pick<
    Metadata,
    'format' | 'width' | 'height' | 'channels' | 'depth' | 'isProgressive' | 'chromaSubsampling'
  >,
): DecodeCost {
  const pixels = metadata.width * metadata.height;
  const channels = metadata.channels ?? 3;
  const decodedBytes = pixels * channels * (BYTES_PER_SAMPLE[metadata.depth ?? 'uchar'] ?? 4);
  const interlaced = metadata.isProgressive === true;
  let residentBytes: number;
  if (interlaced && metadata.format === 'png') residentBytes = decodedBytes;
  else if (interlaced && metadata.format === 'jpeg') {
    const planes = channels === 4 ? 4 : (JPEG_PLANES[metadata.chromaSubsampling ?? ''] ?? channels);
    residentBytes = Math.ceil(pixels * planes * 2);
  } else {
    // Read in sequence: a window of rows (libvips' strip cache and the shrink) in flight, a few MiB at least.
    residentBytes = Math.min(decodedBytes, Math.max(4 * MiB, (decodedBytes / metadata.height) * 256));
  }
  return { decodedBytes, residentBytes, interlaced };
}

/** The decode budget in bytes: what the largest accepted image costs as 8-bit RGBA (MAX_INPUT_PIXELS × 4). */
export const decodeBudget = (maxInputPixels: number): number => maxInputPixels * 4;

/** Longest side over shortest side: beyond it the decoder's per-row work dwarfs the pixels (a 1×50,000,000 PNG). */
export const MAX_ASPECT_RATIO = 200;
/** Every sharp pipeline that decodes or encodes is stopped after this long (sharp's `timeout`). */
export const SHARP_TIMEOUT_SECONDS = 30;
/** Decodes that may wait behind the running ones, per process; more get 503 with Retry-After. */
export const DECODE_QUEUE_LENGTH = 16;

const mb = (bytes: number) => `${Math.ceil(bytes / 1e6)} MB`;
const THUMBNAIL_OPTIONS = {
  png: { compressionLevel: 6, adaptiveFiltering: true },
  jpeg: { quality: 82, mozjpeg: true },
};

// Every input is seen once (uploads) or rarely (thumbnails, kept after): libvips' operation cache would only
// hold memory.
sharp.cache(false);
// One libvips worker thread per image: several images at once use the cores, and glibc's allocator, which
// fragments under many threads (see sharp's docs; MALLOC_ARENA_MAX=2 is set by `npm start` and the image),
// keeps memory flat. sharp picks 1 on glibc already; saying so makes it hold on every platform.
sharp.concurrency(1);

/**
 * The only place that talks to sharp. Refusals are cheap first: magic bytes, then the header (pixel count,
 * and what decoding would cost in bytes), before any decoding. Uploads are then decoded once, in sequence,
 * failing on truncation, straight to the largest thumbnail (JPEG shrink-on-load), and every thumbnail is made
 * from that: the validating decode is the thumbnails' decode. All decoding goes through a gate bounding how
 * many run at once and the bytes they hold.
 */
@Injectable()
export class ImageProcessor {
  private readonly maxInputPixels: number;
  private readonly budget: number;
  readonly gate: DecodeGate;

  constructor(config: AppConfig) {
    this.maxInputPixels = config.maxInputPixels;
    this.budget = decodeBudget(config.maxInputPixels);
    this.gate = new DecodeGate(Math.min(4, Math.max(1, availableParallelism())), this.budget, DECODE_QUEUE_LENGTH);
  }

  /**
   * Validates an uploaded file (415 for other formats, 400 for everything that is not a sound PNG or JPEG
   * within the limits) and makes its thumbnails `heights` high in the same decode. With no heights, the
   * validating decode goes to a 16 px output.
   */
  async prepare(path: string, heights: readonly number[]): Promise<PreparedImage> {
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
    const metadata = await this.header(path, kind, head);
    const oriented = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
    const info: ImageInfo = { format: kind, width: oriented.width, height: oriented.height };

    if (kind === 'jpeg') this.checkScans(await readFile(path));
    const input = () =>
      sharp(path, { limitInputPixels: this.maxInputPixels, failOn: 'truncated', sequentialRead: true })
        .timeout({ seconds: SHARP_TIMEOUT_SECONDS })
        .autoOrient();
    return this.gate.run(this.weight(metadata, oriented, heights), async () => {
      if (heights.length === 0) {
        // One full, sequential decode to a tiny output: finds corrupt and truncated data without holding the image.
        await this.decode(input().resize(16, 16, { fit: 'inside' }), kind);
        return { info, thumbnails: new Map() };
      }
      return { info, thumbnails: await this.render(input(), oriented, heights, kind, true) };
    });
  }

  /**
   * Thumbnails `heights` pixels high (never enlarged), width in proportion, EXIF orientation applied,
   * metadata stripped, in the original's format (PNG keeps its alpha channel), from a stored original.
   * The original is decoded once, straight to the largest height (JPEG shrink-on-load), and the smaller
   * ones are made from that.
   */
  async thumbnails(original: Buffer, heights: number[], format: ImageFormat): Promise<Map<number, Buffer>> {
    const input = () =>
      sharp(original, { limitInputPixels: this.maxInputPixels, failOn: 'none' })
        .timeout({ seconds: SHARP_TIMEOUT_SECONDS })
        .autoOrient();
    const metadata = await sharp(original, { limitInputPixels: this.maxInputPixels }).metadata(); // header only
    if (format === 'jpeg') this.checkScans(original); // kept before this check existed
    const oriented = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
    return this.gate.run(this.weight(metadata, oriented, heights), () =>
      this.render(input(), oriented, heights, format, false),
    );
  }

  /** The header, checked: readable as `kind`, at most MAX_INPUT_PIXELS pixels, decodable within the budget. */
  private async header(path: string, kind: ImageFormat, head: Buffer): Promise<Metadata> {
    let metadata: Metadata;
    try {
      metadata = await sharp(path, { limitInputPixels: this.maxInputPixels }).metadata();
    } catch (error) {
      if (/pixel limit/i.test(String(error))) throw this.tooManyPixels(kind === 'png' ? pngSize(head) : undefined);
      throw new InvalidImageError(`The file is not a readable ${kind.toUpperCase()} image`);
    }
    if (metadata.format !== kind || !metadata.width || !metadata.height) {
      throw new InvalidImageError(`The file is not a readable ${kind.toUpperCase()} image`);
    }
    if (metadata.width * metadata.height > this.maxInputPixels) throw this.tooManyPixels(metadata);
    const [long, short] = [Math.max(metadata.width, metadata.height), Math.min(metadata.width, metadata.height)];
    if (long / short > MAX_ASPECT_RATIO) {
      throw new InvalidImageError(
        `The ${metadata.width}×${metadata.height} image is too narrow; sides may differ by a factor of ${MAX_ASPECT_RATIO} at most`,
      );
    }
    const cost = decodeCost(metadata);
    const bytes = Math.max(cost.decodedBytes, cost.residentBytes);
    if (bytes > this.budget) {
      const bits = (BYTES_PER_SAMPLE[metadata.depth ?? 'uchar'] ?? 4) * 8;
      const how =
        kind === 'png'
          ? `${metadata.channels} channels of ${bits} bits${cost.interlaced ? ', interlaced' : ''}`
          : `${metadata.channels} channels${cost.interlaced ? ', progressive' : ''}`;
      throw new InvalidImageError(
        `The ${metadata.width}×${metadata.height} ${kind.toUpperCase()} image (${how}) needs ${mb(bytes)} to decode; ` +
          `the limit is ${mb(this.budget)}. Save it ${kind === 'png' ? 'with 8 bits per channel, ' : ''}without ` +
          `${kind === 'png' ? 'interlacing' : 'progressive scans'}, or smaller`,
      );
    }
    return metadata;
  }

  /** Refuses a JPEG with more scans than any encoder writes, before it is decoded. */
  private checkScans(data: Buffer): void {
    if (countJpegScans(data) > MAX_JPEG_SCANS) {
      throw new InvalidImageError(
        `The JPEG image has more than ${MAX_JPEG_SCANS} scans; save it as a baseline or standard progressive JPEG`,
      );
    }
  }

  private tooManyPixels(size?: { width: number; height: number }): InvalidImageError {
    const max = this.maxInputPixels;
    return new InvalidImageError(
      size
        ? `The image has ${size.width}×${size.height} = ${size.width * size.height} pixels; the limit is ${max}`
        : `The image has more pixels than allowed; the limit is ${max}`,
    );
  }

  /** Bytes a piece of work may hold: the decoder's share plus the intermediate at the largest height. */
  private weight(metadata: Metadata, oriented: { width: number; height: number }, heights: readonly number[]): number {
    const top = Math.min(Math.max(16, ...heights), oriented.height);
    const intermediate = Math.ceil((oriented.width * top) / oriented.height) * top * (metadata.channels ?? 4);
    return decodeCost(metadata).residentBytes + intermediate;
  }

  private async decode(pipeline: Sharp, kind: ImageFormat): Promise<{ data: Buffer; info: OutputInfo }> {
    try {
      return await pipeline.raw().toBuffer({ resolveWithObject: true });
    } catch {
      throw new InvalidImageError(`The ${kind.toUpperCase()} image is broken or truncated`);
    }
  }

  private async render(
    input: Sharp,
    full: { width: number; height: number },
    heights: readonly number[],
    format: ImageFormat,
    validating: boolean,
  ): Promise<Map<number, Buffer>> {
    const descending = [...new Set(heights)].sort((a, b) => b - a);
    const pipeline = input.resize({ height: descending[0], withoutEnlargement: true });
    const { data, info } = validating
      ? await this.decode(pipeline, format)
      : await pipeline.raw().toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: info.channels };
    const encoded = await Promise.all(
      descending.map(async (height) => {
        let thumb = sharp(data, { raw, limitInputPixels: this.maxInputPixels }).timeout({
          seconds: SHARP_TIMEOUT_SECONDS,
        });
        // Widths from the original's proportions, not the intermediate's (rounded once, not twice).
        if (height < info.height) {
          const width = Math.max(1, Math.round((full.width * height) / full.height));
          thumb = thumb.resize({ width, height, fit: 'fill' });
        }
        const output = format === 'png' ? thumb.png(THUMBNAIL_OPTIONS.png) : thumb.jpeg(THUMBNAIL_OPTIONS.jpeg);
        return [height, await output.toBuffer()] as const;
      }),
    );
    return new Map(encoded);
  }
}
