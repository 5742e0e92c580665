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

  /** Creates the sizes of `heights` that do not exist yet (inside the caller's transaction); returns all their ids. */
  async ensureSizes(tx: EntityManager, heights: number[]): Promise<number[]> {
    await tx.query(`INSERT INTO sizes (height) SELECT unnest($1::int[]) ON CONFLICT (height) DO NOTHING`, [heights]);
    const rows: Array<{ id: number }> = await tx.query(`SELECT id FROM sizes WHERE height = ANY($1::int[])`, [heights]);
    return rows.map((row) => row.id);
  }

  /** The sizes of each tier, smallest first (inside a transaction when `tx` is given). */
  async sizesOf(tierIds: number[], tx: DataSource | EntityManager = this.dataSource): Promise<Map<number, Size[]>> {
    const rows: Array<{ tierId: number; id: number; height: number }> = await tx.query(
      `SELECT ts."tierId", s.id, s.height FROM tier_sizes ts JOIN sizes s ON s.id = ts."sizeId"
        WHERE ts."tierId" = ANY($1::int[]) ORDER BY s.height`,
      [tierIds],
    );
    const byTier = new Map<number, Size[]>(tierIds.map((id) => [id, []]));
    for (const row of rows) byTier.get(row.tierId)?.push(Object.assign(new Size(), { id: row.id, height: row.height }));
    return byTier;
  }
}
