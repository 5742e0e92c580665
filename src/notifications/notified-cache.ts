import { LRUCache } from 'lru-cache';
import { isDatabaseUnavailable } from '../common/database-unavailable.js';
import type { CacheName, Metrics } from '../observability/metrics.js';
import type { Channel, DatabaseNotifications } from './database-notifications.service.js';

/** How one cache differs from the others; everything else is the shared mechanism of NotifiedCache. */
export interface NotifiedCacheOptions<V> {
  /** The metric label of its lookups (hit, miss, bypass); none when undefined. */
  name?: CacheName;
  max: number;
  /**
   * A budget for values of varying size: the sum of `size(value)` over the values kept stays within `bytes`
   * (least recently used dropped first). A load in flight counts 1 until it resolves.
   */
  budget?: { bytes: number; size: (value: V) => number };
  /** Entries older than this are not served while notifications are live (a missed one cannot last). */
  ttlMs?: number;
  /** The channel whose notifications drop entries: all of them, or the one whose key is the payload. */
  follows?: { channel: Channel; drops: 'all' | 'key' };
  /**
   * While PostgreSQL is unreachable nobody can change what is cached, so the last value known (even past its
   * TTL, even while notifications are lost) answers instead of the error.
   */
  outageFallback?: boolean;
  /** Also cache loads made while notifications are lost (never served then; only as the outage fallback). */
  keepWhileLost?: boolean;
  /** Whether a loaded value is kept (false: asked again next time, such as an image not inserted yet). */
  keeps?: (value: V) => boolean;
}

/**
 * The one mechanism behind every cache that follows the database through LISTEN/NOTIFY (the caller's
 * principal, image lookups, expiring-link states): values are cached as promises before the query runs, so
 * a notification that arrives meanwhile drops them too; a failed load is not kept; while notifications are
 * lost the cache is bypassed, and it is cleared when they are back (nothing missed meanwhile survives).
 */
export class NotifiedCache<V> {
  private readonly cache: LRUCache<string, Entry<V>>;

  constructor(
    private readonly notifications: DatabaseNotifications,
    private readonly load: (key: string) => Promise<V>,
    private readonly options: NotifiedCacheOptions<V>,
    private readonly metrics?: Metrics,
  ) {
    const budget = options.budget;
    this.cache = new LRUCache<string, Entry<V>>({
      max: options.max,
      ...(options.ttlMs !== undefined && { ttl: options.ttlMs, noDeleteOnStaleGet: true }),
      ...(budget && {
        maxSize: budget.bytes,
        sizeCalculation: (entry: Entry<V>) => (entry.settled ? Math.max(1, budget.size(entry.value as V)) : 1),
      }),
    });
    const follows = options.follows;
    if (follows?.drops === 'all') notifications.on(follows.channel, () => this.cache.clear());
    if (follows?.drops === 'key') notifications.on(follows.channel, (key) => this.cache.delete(key));
    notifications.onReset((phase) => phase === 'back' && this.cache.clear());
  }

  get(key: string): Promise<V> {
    const live = this.notifications.live;
    const cached = live ? this.cache.get(key) : undefined;
    this.count(live, cached);
    if (cached) return cached.promise;
    const last = this.options.outageFallback ? this.cache.get(key, { allowStale: true }) : undefined;
    const promise = last
      ? this.load(key).catch((error: unknown) => {
          if (isDatabaseUnavailable(error)) return last.promise;
          throw error;
        })
      : this.load(key);
    if (!live && !this.options.keepWhileLost) return promise;
    const entry: Entry<V> = { promise, settled: false, value: undefined };
    this.cache.set(key, entry);
    const keeps = this.options.keeps;
    promise.then(
      (value) => {
        entry.settled = true;
        entry.value = value;
        if (this.cache.peek(key, { allowStale: true }) !== entry) return; // dropped meanwhile
        if (keeps && !keeps(value)) this.cache.delete(key);
        // Its size, now known: set as a new entry (lru-cache sizes a value again only when it is another one).
        else if (this.options.budget) this.cache.set(key, { ...entry }, { noUpdateTTL: true });
      },
      () => this.cache.delete(key),
    );
    return promise;
  }

  /**
   * The value get() would resolve with, when it is already known here (cached, loaded, served while live);
   * else undefined, and the caller goes through get(). Lets a hot path answer without a promise.
   */
  peek(key: string): { value: V } | undefined {
    if (!this.notifications.live) return undefined;
    const cached = this.cache.get(key);
    if (!cached?.settled) return undefined;
    this.count(true, cached);
    return cached as { value: V };
  }

  private count(live: boolean, cached: Entry<V> | undefined): void {
    if (this.options.name) this.metrics?.cacheLookup(this.options.name, !live ? 'bypass' : cached ? 'hit' : 'miss');
  }

  delete(key: string): void {
    this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }
}

/** A cached load: its promise, and its value once it has resolved (for peek). */
interface Entry<V> {
  readonly promise: Promise<V>;
  settled: boolean;
  value: V | undefined;
}
