import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../common/database-unavailable.js';
import { DatabaseNotifications } from '../notifications/database-notifications.service.js';
import { Metrics } from '../observability/metrics.js';

/** What a tier grants, as the API shows it. */
export interface TierView {
  id: number;
  name: string;
  thumbnailHeights: number[];
  originalLink: boolean;
  expiringLinks: boolean;
}

/** The authenticated caller and what their tier grants them right now. */
export interface Principal {
  id: string;
  username: string;
  isAdmin: boolean;
  tier: TierView;
}

/**
 * "What does this owner get", computed from users → tiers → sizes at request time and cached per user.
 *
 * Database triggers NOTIFY `grants_changed` on any change to users, tiers, sizes or tier_sizes (whoever
 * makes it: API, admin panel, CLI, SQL), and every instance LISTENs and drops its cache, so a change applies
 * to the next request on every instance. Without a live LISTEN connection the cache is bypassed, and a short
 * TTL bounds staleness should a notification ever be missed.
 */
@Injectable()
export class GrantsService {
  private readonly cache = new LRUCache<string, Promise<Principal | null>>({
    max: 10_000,
    ttl: 30_000,
    noDeleteOnStaleGet: true, // expired entries stay as a fallback during a database outage
  });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly notifications: DatabaseNotifications,
    @Optional() private readonly metrics?: Metrics,
  ) {
    notifications.on('grants_changed', () => this.cache.clear());
    // Kept when notifications are lost (bypassed, and the outage fallback below); cleared when they are back.
    notifications.onReset((phase) => phase === 'back' && this.cache.clear());
  }

  /** The principal for a user id, or null when the user no longer exists. */
  forUser(userId: string): Promise<Principal | null> {
    // While PostgreSQL is unreachable nobody can change a grant, so what was known last (even past its TTL,
    // even with notifications lost) keeps the links already in use serving, instead of a 503.
    const last = this.cache.get(userId, { allowStale: true });
    const load = () =>
      this.load(userId).catch((error: unknown) => {
        if (last && isDatabaseUnavailable(error)) return last;
        throw error;
      });
    const live = this.notifications.live;
    const cached = live ? this.cache.get(userId) : undefined;
    this.metrics?.cacheLookup('grants', !live ? 'bypass' : cached ? 'hit' : 'miss');
    if (cached) return cached;
    // Written even while bypassed: the outage fallback. The promise goes in before the query runs, so a
    // change notified meanwhile drops it too.
    const entry = load();
    this.cache.set(userId, entry);
    entry.catch(() => this.cache.delete(userId));
    return entry;
  }

  /** Resolves once every change committed before this call applies here (see DatabaseNotifications.settled). */
  settled(): Promise<void> {
    return this.notifications.settled();
  }

  /** Drops every cached principal (also done on every NOTIFY). */
  invalidate(): void {
    this.cache.clear();
  }

  private async load(userId: string): Promise<Principal | null> {
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
