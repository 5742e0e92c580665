import { Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import type { Repository } from 'typeorm';
import type { ImageFormat } from '../media/image-format.js';
import { isDatabaseUnavailable } from '../common/database-unavailable.js';
import { DatabaseNotifications } from '../notifications/database-notifications.service.js';
import { Metrics } from '../observability/metrics.js';
import { Image } from './image.entity.js';

export interface ImageRef {
  id: string;
  ownerId: string;
  format: ImageFormat;
}

/**
 * Owner and format of an image by id, for the serving path. Both never change; a deleted image is dropped on
 * every instance at once (the images_deleted trigger), and without a live LISTEN connection the cache is
 * bypassed.
 */
@Injectable()
export class ImageLookup {
  private readonly cache = new LRUCache<string, Promise<ImageRef | null>>({ max: 20_000 });
  private readonly deletedHandlers: Array<(id: string) => void> = [];

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    private readonly notifications: DatabaseNotifications,
    @Optional() private readonly metrics?: Metrics,
  ) {
    notifications.on('images_deleted', (id) => this.forget(id));
    // Kept while notifications are lost (only the outage fallback reads it); cleared once they are back.
    notifications.onReset((phase) => phase === 'back' && this.cache.clear());
  }

  /** Runs with the id of every image deleted anywhere (and forgotten here): for caches of its files. */
  onDeleted(handler: (id: string) => void): void {
    this.deletedHandlers.push(handler);
  }

  find(id: string): Promise<ImageRef | null> {
    if (!this.notifications.live) {
      this.metrics?.cacheLookup('image_lookup', 'bypass');
      // PostgreSQL unreachable: nobody can delete an image meanwhile, so what was known keeps links serving.
      const last = this.cache.get(id);
      return this.load(id).catch((error: unknown) => {
        if (last && isDatabaseUnavailable(error)) return last;
        throw error;
      });
    }
    // Cached as a promise before the query runs, so a delete that arrives meanwhile drops it too. A missing
    // image is not kept: its id may be an upload still being inserted.
    let ref = this.cache.get(id);
    this.metrics?.cacheLookup('image_lookup', ref ? 'hit' : 'miss');
    if (!ref) {
      ref = this.load(id);
      this.cache.set(id, ref);
      ref.then(
        (found) => {
          if (!found && this.cache.get(id) === ref) this.cache.delete(id);
        },
        () => this.cache.delete(id),
      );
    }
    return ref;
  }

  forget(id: string): void {
    this.cache.delete(id);
    for (const handler of this.deletedHandlers) handler(id);
  }

  private async load(id: string): Promise<ImageRef | null> {
    const row = await this.images.findOne({ where: { id }, select: { id: true, ownerId: true, format: true } });
    return row && { id: row.id, ownerId: row.ownerId, format: row.format };
  }
}
