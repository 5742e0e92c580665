import { Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue.js';
import type { ImageFormat } from '../media/image-format.js';
import { Metrics } from '../observability/metrics.js';
import { ImageProcessor } from '../media/image-processor.js';
import { imagePrefix, originalKey, thumbnailKey } from '../storage/keys.js';
import { Storage, type StoredObject } from '../storage/storage.js';
import { PrincipalCache } from '../auth/principal-cache.service.js';
import type { TierView } from '../tiers/tier-view.js';
import { ImageLookup } from './image-lookup.service.js';

/** What an upload does about thumbnails, as decided by ThumbnailsService.forUpload. */
export interface UploadThumbnails {
  /** The heights the upload's validating decode makes now (one decode per upload), stored with the original. */
  heights: number[];
  /** Reports that `count` of them were made (the thumbnail metric). */
  made(count: number): void;
  /** Once the image (row and files) is stored: whatever is left to do (queue the job for the workers). */
  afterStored(imageId: string): Promise<void>;
}

/**
 * Thumbnails are made once and kept in storage, and this service is the one place that decides who makes
 * them: `forUpload` says what an upload does (in-process, its own decode makes the owner's heights; with
 * worker processes, a queued job does, `runsInWorkers` being a detail of the queue behind it), and a
 * request for one not made yet makes it on the spot (`open`), concurrent requests for the same thumbnail
 * in this process sharing that one piece of work. (Across instances the work may be repeated, harmlessly:
 * the result is the same and the write is atomic.)
 */
@Injectable()
export class ThumbnailsService implements OnModuleInit {
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly storage: Storage,
    private readonly processor: ImageProcessor,
    private readonly jobs: JobQueue,
    private readonly lookup: ImageLookup,
    private readonly principals: PrincipalCache,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  onModuleInit(): void {
    this.jobs.register('make-thumbnails', ({ imageId }) => this.makeGranted(imageId));
  }

  /** The one decision of who makes an upload's thumbnails (see UploadThumbnails). */
  forUpload(tier: TierView): UploadThumbnails {
    if (this.jobs.runsInWorkers) {
      return {
        heights: [],
        made: () => undefined,
        afterStored: (imageId) => this.jobs.enqueue('make-thumbnails', { imageId }),
      };
    }
    const heights = tier.thumbnailHeights;
    const timer = heights.length ? this.metrics?.thumbnailTimer() : undefined;
    return { heights, made: (count) => timer?.(count), afterStored: () => Promise.resolve() };
  }

  /** The stored thumbnail, made now if missing; null when the image (or its original) is gone. */
  async open(imageId: string, format: ImageFormat, height: number): Promise<StoredObject | null> {
    const key = thumbnailKey(imageId, height);
    const stored = await this.storage.get(key);
    if (stored) return stored;
    if (!(await this.make(imageId, format, [height]))) return null;
    return this.storage.get(key);
  }

  /**
   * Makes those of `heights` that are not stored yet, from one decode of the original; false when the
   * original is gone. A height already being made here is waited for, not made twice.
   */
  async make(imageId: string, format: ImageFormat, heights: number[]): Promise<boolean> {
    const waits: Array<Promise<boolean>> = [];
    const todo: number[] = [];
    for (const height of heights) {
      const running = this.inFlight.get(thumbnailKey(imageId, height));
      if (running) waits.push(running);
      else todo.push(height);
    }
    if (todo.length > 0) {
      const work = this.produce(imageId, format, todo).finally(() => {
        for (const height of todo) this.inFlight.delete(thumbnailKey(imageId, height));
      });
      for (const height of todo) this.inFlight.set(thumbnailKey(imageId, height), work);
      waits.push(work);
    }
    return (await Promise.all(waits)).every(Boolean);
  }

  private async produce(imageId: string, format: ImageFormat, heights: number[]): Promise<boolean> {
    const missing: number[] = [];
    for (const height of heights) {
      if (!(await this.storage.exists(thumbnailKey(imageId, height)))) missing.push(height);
    }
    if (missing.length === 0) return true;
    const made = this.metrics?.thumbnailTimer();
    const original = await this.storage.read(originalKey(imageId));
    if (!original) return false;
    const thumbnails = await this.processor.thumbnails(original, missing, format);
    for (const [height, data] of thumbnails) await this.storage.putBuffer(thumbnailKey(imageId, height), data);
    made?.(thumbnails.size);
    // Deleted while we worked? Then what we just wrote is an orphan: remove it again.
    if (!(await this.storage.exists(originalKey(imageId)))) {
      await this.storage.deletePrefix(imagePrefix(imageId));
      return false;
    }
    return true;
  }

  /** Job handler: every height the owner's tier grants now. */
  private async makeGranted(imageId: string): Promise<void> {
    const image = await this.lookup.find(imageId);
    const owner = image && (await this.principals.forUser(image.ownerId));
    if (!image || !owner?.tier.thumbnailHeights.length) return;
    await this.make(imageId, image.format, owner.tier.thumbnailHeights);
  }
}
