import { Injectable } from '@nestjs/common';
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
   * Marks the token used, once: of two concurrent exchanges of one token, exactly one wins (a single
   * conditional UPDATE). A token that was already used, or whose family was revoked, revokes its family.
   */
  async use(id: string, userId: string): Promise<RefreshOutcome> {
    const now = this.clock.now();
    const updated = await this.tokens
      .createQueryBuilder()
      .update()
      .set({ usedAt: now })
      .where({ id, userId, usedAt: IsNull(), revokedAt: IsNull() })
      .andWhere('"expiresAt" > :now', { now })
      .returning(['familyId'])
      .execute();
    const row = (updated.raw as { familyId: string }[])[0];
    if (row) return { ok: true, familyId: row.familyId };

    const known = await this.tokens.findOneBy({ id, userId });
    if (!known || known.expiresAt <= now || (!known.usedAt && !known.revokedAt)) return { ok: false, reused: false };
    await this.tokens.update({ familyId: known.familyId, revokedAt: IsNull() }, { revokedAt: now });
    return { ok: false, reused: true };
  }
}
