import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { Size } from './size.entity.js';

/** The tiers queries in SQL (the join table tier_sizes has no entity of its own). */
@Injectable()
export class TiersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Makes a tier grant exactly these sizes, inside the caller's transaction. */
  async replaceSizes(tx: EntityManager, tierId: number, sizeIds: number[]): Promise<void> {
    await tx.query(`DELETE FROM tier_sizes WHERE "tierId" = $1`, [tierId]);
    if (sizeIds.length) {
      await tx.query(`INSERT INTO tier_sizes ("tierId", "sizeId") SELECT $1, unnest($2::int[])`, [tierId, sizeIds]);
    }
  }

  /** How many users are on a tier. */
  async countUsers(tierId: number): Promise<number> {
    const rows: Array<{ count: number }> = await this.dataSource.query(
      `SELECT count(*)::int AS count FROM users WHERE "tierId" = $1`,
      [tierId],
    );
    return rows[0].count;
  }

  /** The sizes of each tier, smallest first. */
  async sizesOf(tierIds: number[]): Promise<Map<number, Size[]>> {
    const rows: Array<{ tierId: number; id: number; height: number }> = await this.dataSource.query(
      `SELECT ts."tierId", s.id, s.height FROM tier_sizes ts JOIN sizes s ON s.id = ts."sizeId"
        WHERE ts."tierId" = ANY($1::int[]) ORDER BY s.height`,
      [tierIds],
    );
    const byTier = new Map<number, Size[]>(tierIds.map((id) => [id, []]));
    for (const row of rows) byTier.get(row.tierId)?.push(Object.assign(new Size(), { id: row.id, height: row.height }));
    return byTier;
  }
}
