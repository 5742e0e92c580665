import { Injectable, Optional } from '@nestjs/common';
import type { Cursor } from '../common/cursor.js';
import { DatabaseNotifications } from '../notifications/database-notifications.service.js';
import { NotifiedCache } from '../notifications/notified-cache.js';
import { Metrics } from '../observability/metrics.js';
import { DEFAULT_PAGE_SIZE } from './dto/image-input.dto.js';
import { type ImageRow, ImagesRepository } from './images.repository.js';

/** Rows kept per owner: a default-sized first page and the row after it (is there a next page?). */
const FIRST_PAGE_ROWS = DEFAULT_PAGE_SIZE + 1;
/**
 * What the first pages may hold per process. A row is about 300 bytes of heap plus its strings (a title of up
 * to 200 characters, a description of up to 2,000): some 6 KB for an owner of short titles, 90 KB at most.
 */
const FIRST_PAGES_BYTES = 16 * 2 ** 20;
const rowBytes = (row: ImageRow) =>
  300 + 2 * ((row.title?.length ?? 0) + (row.description?.length ?? 0) + (row.placeholder?.length ?? 0));

/**
 * An owner's images a page at a time. The first page, at the default size or smaller, comes from a cache: it
 * is what a gallery opens on and asks for again and again, and while the owner's images do not change it
 * costs no query. Any insert, delete or edit of a listed column, made by any instance, the admin panel, the
 * CLI or plain SQL, drops the owner's page on every instance (the images_listed trigger, within
 * milliseconds); a change made through this instance drops it here before its request is answered
 * (`forget`). Pages after a cursor, and larger ones, are read from the database each time (keyset, so every
 * page costs the same). Rows only: links are made per request from the owner's tier as it is now.
 */
@Injectable()
export class ImagePages {
  private readonly firstPages: NotifiedCache<ImageRow[]>;

  constructor(
    private readonly rows: ImagesRepository,
    notifications: DatabaseNotifications,
    @Optional() metrics?: Metrics,
  ) {
    this.firstPages = new NotifiedCache(
      notifications,
      (ownerId) => rows.page(ownerId, FIRST_PAGE_ROWS),
      {
        name: 'image_pages',
        max: 10_000,
        budget: { bytes: FIRST_PAGES_BYTES, size: (page) => page.reduce((sum, row) => sum + rowBytes(row), 0) },
      },
      metrics,
    );
    notifications.on('images_listed', (ownerId) =>
      ownerId ? this.firstPages.delete(ownerId) : this.firstPages.clear(),
    );
  }

  /** Up to `count` of an owner's images, newest first, after `after` (ImagesRepository.page). */
  async page(ownerId: string, count: number, after?: Cursor): Promise<ImageRow[]> {
    if (after || count > FIRST_PAGE_ROWS) return this.rows.page(ownerId, count, after);
    const first = await this.firstPages.get(ownerId);
    return count < first.length ? first.slice(0, count) : first;
  }

  /** Drops the owner's cached page: call once a change to the owner's images has committed. */
  forget(ownerId: string): void {
    this.firstPages.delete(ownerId);
  }
}
