import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../database/database-unavailable.js';
import { pgClientTimeouts } from '../database/data-source.js';
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

const CHANNEL = 'grants_changed';

/**
 * "What does this owner get", computed from users → tiers → sizes at request time and cached per user.
 *
 * Database triggers NOTIFY `grants_changed` on any change to users, tiers, sizes or tier_sizes (whoever
 * makes it: API, admin panel, CLI, SQL), and every instance LISTENs and drops its cache, so a change applies
 * to the next request on every instance. Without a live LISTEN connection the cache is bypassed, and a short
 * TTL bounds staleness should a notification ever be missed.
 */
@Injectable()
export class GrantsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(GrantsService.name);
  private readonly cache = new LRUCache<string, Promise<Principal | null>>({
    max: 50_000,
    ttl: 30_000,
    noDeleteOnStaleGet: true, // expired entries stay as a fallback during a database outage
  });
  private listener?: pg.Client;
  private listening = false;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly markers = new Map<string, () => void>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
  }

  /** The principal for a user id, or null when the user no longer exists. */
  forUser(userId: string): Promise<Principal | null> {
    // While PostgreSQL is unreachable nobody can change a grant, so what was known last (even past its TTL,
    // even with the listener lost) keeps the links already in use serving, instead of a 503.
    const last = this.cache.get(userId, { allowStale: true });
    const load = () =>
      this.load(userId).catch((error: unknown) => {
        if (last && isDatabaseUnavailable(error)) return last;
        throw error;
      });
    // Bypassed (not read) while the listener is down, but still written: the outage fallback above.
    const cached = this.listening ? this.cache.get(userId) : undefined;
    this.metrics?.cacheLookup('grants', !this.listening ? 'bypass' : cached ? 'hit' : 'miss');
    if (cached) return cached;
    const entry = load();
    this.cache.set(userId, entry);
    entry.catch(() => this.cache.delete(userId));
    return entry;
  }

  /**
   * Resolves once every change committed before this call has reached this instance's listener: PostgreSQL
   * delivers notifications in commit order, so receiving a marker sent now means all earlier ones arrived.
   * For writers that must read their own change through the cache at once (tests, scripts).
   */
  async settled(): Promise<void> {
    if (!this.listening) return; // the cache is bypassed meanwhile
    const marker = `settled:${randomUUID()}`;
    const received = new Promise<void>((resolve) => this.markers.set(marker, resolve));
    await this.dataSource.query(`SELECT pg_notify('${CHANNEL}', $1)`, [marker]);
    await received;
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

  private async listen(): Promise<void> {
    const options = this.dataSource.options as { url?: string };
    const client = new pg.Client({
      connectionString: options.url,
      application_name: 'image-api-grants',
      ...pgClientTimeouts(),
    });
    const lost = (reason: unknown) => {
      if (this.listener !== client) return;
      this.listening = false;
      this.listener = undefined;
      // Not cleared: bypassed until the listener is back (then cleared), and kept as the outage fallback.
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn(`Lost the grants_changed listener (${String(reason)}); retrying, cache bypassed meanwhile`);
      this.reconnectTimer = setTimeout(() => void this.listen(), 1000);
      this.reconnectTimer.unref();
    };
    this.listener = client;
    client.on('error', lost);
    client.on('end', () => lost('connection ended'));
    client.on('notification', ({ payload }) => {
      this.cache.clear();
      const marker = payload ? this.markers.get(payload) : undefined;
      if (marker) {
        this.markers.delete(payload!);
        marker();
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.cache.clear();
      this.listening = true;
    } catch (error) {
      lost(error);
    }
  }
}
