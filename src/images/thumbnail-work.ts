import type { ExtraFormat, ImageFormat, ThumbnailFormat } from '../media/image-format.js';
import { thumbnailKey } from '../storage/keys.js';

/** What an upload does about thumbnails, as decided by ThumbnailsService.forUpload. */
export interface UploadThumbnails {
  /** The heights the upload's validating decode makes now (one decode per upload), stored with the original. */
  heights: number[];
  /** The formats it makes them in besides the original's (WebP: about the cost of a JPEG). */
  formats: readonly ExtraFormat[];
  /** Reports that `count` of them were made (the thumbnail metric). */
  made(count: number): void;
  /** Once the image (row and files) is stored: whatever is left to do (queue the job for the workers, AVIF). */
  afterStored(imageId: string): Promise<void>;
}

/**
 * What a piece of thumbnail work gave: `ok` false when the original is gone; `unkept`: thumbnails made but not
 * kept because the owner's storage quota had no room for them (by storage key), served from memory.
 */
export interface Made {
  ok: boolean;
  unkept: Map<string, Buffer>;
}

/** The storage key of a thumbnail in `as` (its original's format: the key it always had). */
export const keyOf = (imageId: string, height: number, format: ImageFormat, as: ThumbnailFormat) =>
  thumbnailKey(imageId, height, as === format ? undefined : (as as ExtraFormat));

/**
 * How long a request for a missing thumbnail waits for the image's 'make-thumbnails' job (workers) while it is
 * queued or running, before making the thumbnail itself: a slow or dead worker never leaves a link broken.
 */
export const JOB_WAIT_MS = 5000;
