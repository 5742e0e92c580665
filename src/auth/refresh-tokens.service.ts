import { Injectable } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, type Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { RefreshToken } from './refresh-token.entity.js';

export type RefreshOutcome =
  | { ok: true; familyId: string }
  /** Unknown, expired or revoked, or reused (in which case its family has just been revoked). */
  | { ok: false; reused: boolean };

/**
 * The server-side half of refresh tokens: which ones were issued, which were used, which families are revoked.
 * Access tokens stay stateless (15 minutes); only the refresh exchange touches this table.
 */
/** Used tokens kept per login family, newest first, to recognise a copied token presented again. */
export const USED_KEPT_PER_FAMILY = 5;

@Injectable()
export class RefreshTokensService {
  constructor(
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    private readonly clock: Clock,
  ) {}

  async record(token: { id: string; familyId: string; userId: string; expiresAt: Date }): Promise<void> {
    const now = this.clock.now();
    // Keeps the table to live tokens: a user's expired rows go when they get a new one.
    await this.tokens.delete({ userId: token.userId, expiresAt: LessThan(now) });
    await this.tokens.insert({ ...token, usedAt: null, revokedAt: null, createdAt: now });
  }

  /**
   * Exchanges the token for `next`, once: the token is marked used and `next` recorded in its family IN ONE
   * TRANSACTION. The UPDATE holds the used row's lock until `next` is committed, so a concurrent second use
   * of the same token waits for it, finds the token used, and its family revocation then covers `next` too
   * (before, `next` could be stored after the revocation and keep working). A token that was already used, or
   * whose family was revoked, revokes its family. Only the newest USED_KEPT_PER_FAMILY used tokens of a family
   * are kept (enough to catch a copied token being replayed; the table does not grow with every refresh).
   */
  async use(id: string, userId: string, next: { id: string; expiresAt: Date }): Promise<RefreshOutcome> {
    const now = this.clock.now();
    const familyId = await this.tokens.manager.transaction(async (em) => {
      const updated = await em
        .createQueryBuilder()
        .update(RefreshToken)
        .set({ usedAt: now })
        .where({ id, userId, usedAt: IsNull(), revokedAt: IsNull() })
        .andWhere('"expiresAt" > :now', { now })
        .returning(['familyId'])
        .execute();
      const row = (updated.raw as { familyId: string }[])[0];
      if (!row) return null;
      await em.insert(RefreshToken, {
        ...next,
        familyId: row.familyId,
        userId,
        usedAt: null,
        revokedAt: null,
        createdAt: now,
      });
      await em.query(
        `DELETE FROM refresh_tokens WHERE "familyId" = $1 AND "usedAt" IS NOT NULL AND id NOT IN
           (SELECT id FROM refresh_tokens WHERE "familyId" = $1 AND "usedAt" IS NOT NULL ORDER BY "usedAt" DESC LIMIT $2)`,
        [row.familyId, USED_KEPT_PER_FAMILY],
      );
      return row.familyId;
    });
    if (familyId) return { ok: true, familyId };

    const known = await this.tokens.findOneBy({ id, userId });
    if (!known || known.expiresAt <= now || (!known.usedAt && !known.revokedAt)) return { ok: false, reused: false };
    await this.tokens.update({ familyId: known.familyId, revokedAt: IsNull() }, { revokedAt: now });
    return { ok: false, reused: true };
  }

  /**
   * Rows that can never be exchanged again: expired, or revoked over a day ago (kept that long for a look).
   * Scheduled on every API instance; the DELETE is idempotent.
   */
  @Interval('refresh-tokens-prune', 10 * 60 * 1000)
  async prune(): Promise<number> {
    const now = this.clock.now();
    const dayAgo = new Date(now.getTime() - 24 * 3600_000);
    const result = await this.tokens
      .createQueryBuilder()
      .delete()
      .where('"expiresAt" < :now OR "revokedAt" < :dayAgo', { now, dayAgo })
      .execute();
    return result.affected ?? 0;
  }
}
