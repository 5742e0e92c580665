import { Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue.js';
import type { ImageFormat } from '../media/image-format.js';
import { Metrics } from '../observability/metrics.js';
import { ImageProcessor } from '../media/image-processor.js';
import { imagePrefix, originalKey, thumbnailKey } from '../storage/keys.js';
import { Storage, type StoredObject } from '../storage/storage.js';
import { GrantsService } from '../tiers/grants.service.js';
import { ImageLookup } from './image-lookup.service.js';

/**
 * Thumbnails are made once and kept in storage. The upload job makes the owner's current heights; a
 * request for one not made yet makes it on the spot, and concurrent requests for the same thumbnail in
 * this process share that one piece of work. (Across instances the work may be repeated, harmlessly:
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
    private readonly grants: GrantsService,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  onModuleInit(): void {
    this.jobs.register('make-thumbnails', ({ imageId }) => this.makeGranted(imageId));
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
    const { thumbnails } = await this.processor.thumbnails(original, missing, [format]);
    for (const t of thumbnails) await this.storage.putBuffer(thumbnailKey(imageId, t.height), t.data);
    made?.(thumbnails.length);
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
    const owner = image && (await this.grants.forUser(image.ownerId));
    if (!image || !owner?.tier.thumbnailHeights.length) return;
    await this.make(imageId, image.format, owner.tier.thumbnailHeights);
  }
}
