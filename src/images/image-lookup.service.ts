import { Injectable, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import type { Repository } from 'typeorm';
import { Metrics } from '../observability/metrics.js';
import { Image, type ImageFormat } from './image.entity.js';

export interface ImageRef {
  id: string;
  ownerId: string;
  format: ImageFormat;
}

/**
 * Owner and format of an image by id, for the serving path. Both never change, so entries need no
 * invalidation across instances; a deleted image is evicted here, and on other instances its links find
 * the stored files gone (404).
 */
@Injectable()
export class ImageLookup {
  private readonly cache = new LRUCache<string, ImageRef>({ max: 100_000 });

  constructor(
    @InjectRepository(Image) private readonly images: Repository<Image>,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  async find(id: string): Promise<ImageRef | null> {
    const cached = this.cache.get(id);
    this.metrics?.cacheLookup('image_lookup', cached ? 'hit' : 'miss');
    if (cached) return cached;
    const row = await this.images.findOne({ where: { id }, select: { id: true, ownerId: true, format: true } });
    if (!row) return null;
    const ref = { id: row.id, ownerId: row.ownerId, format: row.format };
    this.cache.set(id, ref);
    return ref;
  }

  forget(id: string): void {
    this.cache.delete(id);
  }
}
