import { Injectable } from '@nestjs/common';
import { open, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { AppConfig } from '../config/config.js';
import { BYTES_PER_SAMPLE, decodeBudget, decodeCost } from './decode-cost.js';
import { DecodeGate } from './decode-gate.js';
import { HEADER_TIMEOUT_MS, readHeader } from './header.js';
import type { ExtraFormat, ImageFormat, ThumbnailFormat } from './image-format.js';
import { countJpegScans, MAX_JPEG_SCANS } from './jpeg-scans.js';
import { InvalidImageError, UnsupportedImageError } from './media.errors.js';
import {
  type Pixels,
  PLACEHOLDER_SIDE,
  placeholderOf,
  render,
  SHARP_TIMEOUT_SECONDS,
  type Thumbnail,
} from './render.js';
import { pngSize, sniff } from './sniff.js';

export { decodeBudget, decodeCost, type DecodeCost } from './decode-cost.js';
export { SHARP_TIMEOUT_SECONDS, servedSize, type Thumbnail } from './render.js';

export { sniff } from './sniff.js';

export interface ImageInfo {
  format: ImageFormat;
  /** As displayed, EXIF orientation applied. */
  width: number;
  height: number;
}

/** What an upload gives: its description, the thumbnails and the placeholder made in the same decode. */
export interface PreparedImage {
  info: ImageInfo;
  thumbnails: Thumbnail[];
  /** ThumbHash, base64 (see placeholderOf). */
  placeholder: string;
}

/** Thumbnails made from a stored original, and its placeholder (from the same decode). */
export interface MadeThumbnails {
  thumbnails: Thumbnail[];
  placeholder: string;
}

/** Longest side over shortest side: beyond it the decoder's per-row work dwarfs the pixels (a 1×50,000,000 PNG). */
export const MAX_ASPECT_RATIO = 200;

const mb = (bytes: number) => `${Math.ceil(bytes / 1e6)} MB`;

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
  /** HEADER_TIMEOUT_MS (a field, so that a test can shorten it). */
  headerTimeoutMs = HEADER_TIMEOUT_MS;

  constructor(config: AppConfig) {
    this.maxInputPixels = config.maxInputPixels;
    this.budget = decodeBudget(config.maxInputPixels);
    // Decodes that may wait behind the running ones (more get 503 with Retry-After): as many as uploads may be in
    // progress in this process, so that an upload the edge let in is never turned away here.
    const slots = Math.min(4, Math.max(1, availableParallelism()));
    this.gate = new DecodeGate(slots, this.budget, config.maxUploadsInProgress);
  }

  /**
   * Validates an uploaded file (415 for other formats, 400 for everything that is not a sound PNG or JPEG
   * within the limits) and makes its thumbnails `heights` high, in its own format and in `extras`, and its
   * placeholder, all in the same decode. With no heights, the validating decode goes to the placeholder's
   * 100 px.
   */
  async prepare(path: string, heights: readonly number[], extras: readonly ExtraFormat[] = []): Promise<PreparedImage> {
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
        const small = await this.decode(
          input().resize(PLACEHOLDER_SIDE, PLACEHOLDER_SIDE, { fit: 'inside', withoutEnlargement: true }),
          kind,
        );
        return { info, thumbnails: [], placeholder: await placeholderOf(small, this.maxInputPixels) };
      }
      const top = await this.decode(this.toLargest(input(), heights), kind);
      return { info, ...(await this.fromPixels(top, oriented, heights, [kind, ...extras])) };
    });
  }

  /**
   * Thumbnails `heights` pixels high (never enlarged), width in proportion, EXIF orientation applied,
   * metadata stripped, in each of `formats` (alpha kept where the format has it), and the placeholder, from a
   * stored original. The original is decoded once, straight to the largest height (JPEG shrink-on-load), and
   * every thumbnail is made from that. `background`: nobody waits for it (see DecodeGate).
   */
  async thumbnails(
    original: Buffer,
    heights: readonly number[],
    formats: readonly ThumbnailFormat[],
    { background = false } = {},
  ): Promise<MadeThumbnails> {
    const input = () =>
      sharp(original, { limitInputPixels: this.maxInputPixels, failOn: 'none' })
        .timeout({ seconds: SHARP_TIMEOUT_SECONDS })
        .autoOrient();
    const metadata = await readHeader(original, this.maxInputPixels, this.headerTimeoutMs); // header only
    if (metadata.format === 'jpeg') this.checkScans(original); // kept before this check existed
    const oriented = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
    const work = async () => {
      const top = await this.toLargest(input(), heights).raw().toBuffer({ resolveWithObject: true });
      return this.fromPixels(top, oriented, heights, formats);
    };
    return this.gate.run(this.weight(metadata, oriented, heights), work, { background });
  }

  /** The header, checked: readable as `kind`, at most MAX_INPUT_PIXELS pixels, decodable within the budget. */
  private async header(path: string, kind: ImageFormat, head: Buffer): Promise<Metadata> {
    let metadata: Metadata;
    try {
      metadata = await readHeader(path, this.maxInputPixels, this.headerTimeoutMs);
    } catch (error) {
      if (error instanceof InvalidImageError) throw error;
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
    const top = Math.min(Math.max(PLACEHOLDER_SIDE, ...heights), oriented.height);
    const intermediate = Math.ceil((oriented.width * top) / oriented.height) * top * (metadata.channels ?? 4);
    return decodeCost(metadata).residentBytes + intermediate;
  }

  private async decode(pipeline: Sharp, kind: ImageFormat): Promise<Pixels> {
    try {
      return await pipeline.raw().toBuffer({ resolveWithObject: true });
    } catch {
      throw new InvalidImageError(`The ${kind.toUpperCase()} image is broken or truncated`);
    }
  }

  /** The one decode: to the largest height (never enlarged), EXIF orientation already applied by `input`. */
  private toLargest(input: Sharp, heights: readonly number[]): Sharp {
    return input.resize({ height: Math.max(PLACEHOLDER_SIDE, ...heights), withoutEnlargement: true });
  }

  private async fromPixels(
    top: Pixels,
    full: { width: number; height: number },
    heights: readonly number[],
    formats: readonly ThumbnailFormat[],
  ): Promise<MadeThumbnails> {
    const [thumbnails, placeholder] = await Promise.all([
      render(top, full, heights, [...new Set(formats)], this.maxInputPixels),
      placeholderOf(top, this.maxInputPixels),
    ]);
    return { thumbnails, placeholder };
  }
}
