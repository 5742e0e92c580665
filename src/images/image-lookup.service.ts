import { Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { ImageFormat } from '../media/image-format.js';
import { DatabaseNotifications } from '../notifications/database-notifications.service.js';
import { NotifiedCache } from '../notifications/notified-cache.js';
import { Metrics } from '../observability/metrics.js';
import { Image } from './image.entity.js';

export interface ImageRef {
  id: string;
  ownerId: string;
  format: ImageFormat;
}

/**
 * Owner and format of an image by id, for the serving path. Both never change; a deleted image is dropped on
 * every instance at once (the images_deleted trigger); the rest is NotifiedCache's.
 */
@Injectable()
export class ImageLookup {
  private readonly cache: NotifiedCache<ImageRef | null>;
  private readonly deletedHandlers: Array<(id: string) => void> = [];

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    notifications: DatabaseNotifications,
    @Optional() metrics?: Metrics,
  ) {
    this.cache = new NotifiedCache(
      notifications,
      (id) => this.load(id),
      {
        name: 'image_lookup',
        max: 20_000,
        // PostgreSQL unreachable: nobody can delete an image meanwhile, so what was known keeps links serving.
        outageFallback: true,
        // A missing image is not kept: its id may be an upload still being inserted.
        keeps: (found) => found !== null,
      },
      metrics,
    );
    notifications.on('images_deleted', (id) => this.forget(id));
  }

  /** Runs with the id of every image deleted anywhere (and forgotten here): for caches of its files. */
  onDeleted(handler: (id: string) => void): void {
    this.deletedHandlers.push(handler);
  }

  find(id: string): Promise<ImageRef | null> {
    return this.cache.get(id);
  }

  /** What find() would resolve with when it is known without waiting (NotifiedCache.peek); else undefined. */
  known(id: string): { value: ImageRef | null } | undefined {
    return this.cache.peek(id);
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
