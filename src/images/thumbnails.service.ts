import { Injectable, type OnModuleInit } from '@nestjs/common';
import { JobQueue } from '../jobs/job-queue.js';
import { ImageProcessor } from '../media/image-processor.js';
import { imagePrefix, originalKey, thumbnailKey } from '../storage/keys.js';
import { Storage, type StoredObject } from '../storage/storage.js';
import { GrantsService } from '../tiers/grants.service.js';
import type { ImageFormat } from './image.entity.js';
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
  ) {}

  onModuleInit(): void {
    this.jobs.register('make-thumbnails', ({ imageId }) => this.makeGranted(imageId));
  }

  /** The stored thumbnail, made now if missing; null when the image (or its original) is gone. */
  async open(imageId: string, format: ImageFormat, height: number): Promise<StoredObject | null> {
    const key = thumbnailKey(imageId, height);
    const stored = await this.storage.get(key);
    if (stored) return stored;
    if (!(await this.make(imageId, format, height))) return null;
    return this.storage.get(key);
  }

  /** Makes the thumbnail unless it exists; false when the original is gone. */
  make(imageId: string, format: ImageFormat, height: number): Promise<boolean> {
    const key = thumbnailKey(imageId, height);
    let work = this.inFlight.get(key);
    if (!work) {
      work = (async () => {
        if (await this.storage.exists(key)) return true;
        const original = await this.storage.read(originalKey(imageId));
        if (!original) return false;
        await this.storage.putBuffer(key, await this.processor.thumbnail(original, height, format));
        // Deleted while we worked? Then what we just wrote is an orphan: remove it again.
        if (!(await this.storage.exists(originalKey(imageId)))) {
          await this.storage.deletePrefix(imagePrefix(imageId));
          return false;
        }
        return true;
      })().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, work);
    }
    return work;
  }

  /** Job handler: every height the owner's tier grants now. */
  private async makeGranted(imageId: string): Promise<void> {
    const image = await this.lookup.find(imageId);
    if (!image) return;
    const owner = await this.grants.forUser(image.ownerId);
    for (const height of owner?.tier.thumbnailHeights ?? []) {
      if (!(await this.make(imageId, image.format, height))) return;
    }
  }
}
