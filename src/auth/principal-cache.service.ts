import { Injectable, Optional } from '@nestjs/common';
import { DatabaseNotifications } from '../notifications/database-notifications.service.js';
import { NotifiedCache } from '../notifications/notified-cache.js';
import { Metrics } from '../observability/metrics.js';
import type { Principal } from './principal.js';
import { PrincipalsRepository } from './principals.repository.js';

/**
 * The caller's identity and grants ("what does this user get"), computed from users → tiers → sizes at
 * request time and cached per user: for the auth guard, and for the serving path (an image owner's grants).
 *
 * Database triggers NOTIFY `grants_changed` on any change to users, tiers, sizes or tier_sizes (whoever
 * makes it: API, admin panel, CLI, SQL), and every instance drops the whole cache, so a change applies to
 * the next request on every instance. A short TTL bounds staleness should a notification ever be missed;
 * while PostgreSQL is unreachable the last principal known keeps links already in use serving (NotifiedCache).
 */
@Injectable()
export class PrincipalCache {
  private readonly cache: NotifiedCache<Principal | null>;

  constructor(
    principals: PrincipalsRepository,
    private readonly notifications: DatabaseNotifications,
    @Optional() metrics?: Metrics,
  ) {
    this.cache = new NotifiedCache(
      notifications,
      (userId) => principals.find(userId),
      {
        name: 'grants',
        max: 10_000,
        ttlMs: 30_000,
        follows: { channel: 'grants_changed', drops: 'all' },
        outageFallback: true,
        keepWhileLost: true, // the outage fallback, even when notifications were never live
      },
      metrics,
    );
  }

  /** The principal for a user id, or null when the user no longer exists. */
  forUser(userId: string): Promise<Principal | null> {
    return this.cache.get(userId);
  }

  /** What forUser() would resolve with when it is known without waiting (NotifiedCache.peek); else undefined. */
  knownUser(userId: string): { value: Principal | null } | undefined {
    return this.cache.peek(userId);
  }

  /** Resolves once every change committed before this call applies here (see DatabaseNotifications.settled). */
  settled(): Promise<void> {
    return this.notifications.settled();
  }
}
