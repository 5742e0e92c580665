import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { IsNull, type Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import type { Cursor } from '../common/cursor.js';
import { Image } from './image.entity.js';

/** What an Image response is made of. */
export type ImageRow = Pick<
  Image,
  'id' | 'title' | 'description' | 'format' | 'width' | 'height' | 'bytes' | 'placeholder' | 'createdAt'
>;

const PAGE_COLUMNS = `id, title, description, format, width, height, bytes, placeholder, "createdAt"`;
const PAGE = `SELECT ${PAGE_COLUMNS} FROM images WHERE "ownerId" = $1 ORDER BY "createdAt" DESC, id DESC LIMIT $2`;
const PAGE_AFTER = `SELECT ${PAGE_COLUMNS} FROM images WHERE "ownerId" = $1 AND ("createdAt", id) < ($3, $4)
  ORDER BY "createdAt" DESC, id DESC LIMIT $2`;

/** The images queries that TypeORM's repository API does not say well. */
@Injectable()
export class ImagesRepository {
  constructor(@InjectRepository(Image) private readonly images: Repository<Image>) {}

  /**
   * Up to `limit` of an owner's images, newest first, after `after` (keyset on (createdAt, id): every page
   * costs the same, the (ownerId, createdAt, id) index walked from the cursor). Plain rows, no entity
   * hydration, straight to the driver's pool: one round trip, no query runner. A named (prepared) statement:
   * each pooled connection has PostgreSQL parse and plan it once, not on every page.
   */
  async page(ownerId: string, limit: number, after?: Cursor): Promise<ImageRow[]> {
    const pool = (this.images.manager.connection.driver as PostgresDriver).master as Pool;
    const { rows } = await pool.query<ImageRow>(
      after
        ? { name: 'images-page-after', text: PAGE_AFTER, values: [ownerId, limit, after.createdAt, after.id] }
        : { name: 'images-page', text: PAGE, values: [ownerId, limit] },
    );
    return rows;
  }

  /** Up to `limit` ids of images without a placeholder, in id order after `after` (the backfill's batches). */
  async withoutPlaceholder(limit: number, after?: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.images.query(
      `SELECT id FROM images WHERE placeholder IS NULL ${after ? 'AND id > $2' : ''} ORDER BY id LIMIT $1`,
      after ? [limit, after] : [limit],
    );
    return rows.map((row) => row.id);
  }

  /** Stores an image's placeholder unless it has one (images from before placeholders, filled lazily). */
  async fillPlaceholder(id: string, placeholder: string): Promise<void> {
    await this.images.update({ id, placeholder: IsNull() }, { placeholder });
  }
}
