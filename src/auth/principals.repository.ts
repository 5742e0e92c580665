import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Principal } from './principal.js';

/** The query behind the principal: a user with what their tier grants (users → tiers → sizes), in one round trip. */
@Injectable()
export class PrincipalsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The principal for a user id, or null when the user does not exist. */
  async find(userId: string): Promise<Principal | null> {
    const rows: Array<{
      id: string;
      username: string;
      isAdmin: boolean;
      tierId: number;
      tierName: string;
      originalLink: boolean;
      expiringLinks: boolean;
      heights: number[];
    }> = await this.dataSource.query(
      `SELECT u.id, u.username, u."isAdmin", t.id AS "tierId", t.name AS "tierName", t."originalLink", t."expiringLinks",
              COALESCE(array_agg(s.height ORDER BY s.height) FILTER (WHERE s.height IS NOT NULL), '{}') AS heights
         FROM users u
         JOIN tiers t ON t.id = u."tierId"
         LEFT JOIN tier_sizes ts ON ts."tierId" = t.id
         LEFT JOIN sizes s ON s.id = ts."sizeId"
        WHERE u.id = $1
        GROUP BY u.id, t.id`,
      [userId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      username: row.username,
      isAdmin: row.isAdmin,
      tier: {
        id: row.tierId,
        name: row.tierName,
        thumbnailHeights: row.heights.map(Number),
        originalLink: row.originalLink,
        expiringLinks: row.expiringLinks,
      },
    };
  }
}
