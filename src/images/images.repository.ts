import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import type { Repository } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import type { Cursor } from '../common/cursor.js';
import { Image } from './image.entity.js';

/** What an Image response is made of. */
export type ImageRow = Pick<
  Image,
  'id' | 'title' | 'description' | 'format' | 'width' | 'height' | 'bytes' | 'createdAt'
>;

/** The images queries that TypeORM's repository API does not say well. */
@Injectable()
export class ImagesRepository {
  constructor(@InjectRepository(Image) private readonly images: Repository<Image>) {}

  /**
   * Up to `limit` of an owner's images, newest first, after `after` (keyset on (createdAt, id): every page
   * costs the same, the (ownerId, createdAt, id) index walked from the cursor). Plain rows, no entity
   * hydration, straight to the driver's pool: one round trip, no query runner.
   */
  async page(ownerId: string, limit: number, after?: Cursor): Promise<ImageRow[]> {
    const pool = (this.images.manager.connection.driver as PostgresDriver).master as Pool;
    const { rows } = await pool.query<ImageRow>(
      `SELECT id, title, description, format, width, height, bytes, "createdAt" FROM images
        WHERE "ownerId" = $1 ${after ? 'AND ("createdAt", id) < ($3, $4)' : ''}
        ORDER BY "createdAt" DESC, id DESC LIMIT $2`,
      after ? [ownerId, limit, after.createdAt, after.id] : [ownerId, limit],
    );
    return rows;
  }
}
