import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, LessThan, type Repository } from 'typeorm';
import { Clock } from '../common/clock.js';
import { ImageLookup } from '../images/image-lookup.service.js';
import { ImageNotFoundError } from '../images/images.errors.js';
import { ExpiringLinkTokens } from '../links/expiring-link-token.js';
import { DatabaseNotifications } from '../notifications/database-notifications.service.js';
import { NotifiedCache } from '../notifications/notified-cache.js';
import type { Principal } from '../auth/principal.js';
import { grantedVariants, PlanFeatureError, tierGrants, VariantNotGrantedError } from '../tiers/variant.js';
import type { CreateExpiringLinkDto, ExpiringLinkDto } from './dto/expiring-link.dto.js';
import { ExpiringLink } from './expiring-link.entity.js';
import { TooManyExpiringLinksError } from './expiring-links.errors.js';

/** Rows are kept this long after expiry (audit, admin panel), then deleted. The 410 never depends on them. */
export const RETENTION_MS = 24 * 3600 * 1000;

/** Expiring links one image may get per hour (a sliding hour); beyond it 429 with Retry-After. */
export const EXPIRING_LINKS_PER_IMAGE_PER_HOUR = 100;
const HOUR_MS = 3600 * 1000;

export type LinkState = 'live' | 'revoked' | 'missing';
/** What the admin panel shows: a row's state at a given time. */
export type LinkDisplayState = 'active' | 'expired' | 'revoked';

export function displayState(link: Pick<ExpiringLink, 'expiresAt' | 'revokedAt'>, now: Date): LinkDisplayState {
  return link.revokedAt ? 'revoked' : link.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active';
}

@Injectable()
export class ExpiringLinksService {
  private readonly logger = new Logger(ExpiringLinksService.name);

  /** Revocation state by link id: dropped on every instance when a link is revoked (expiring_links_changed). */
  private readonly states: NotifiedCache<LinkState>;

  constructor(
    @InjectRepository(ExpiringLink) private readonly links: Repository<ExpiringLink>,
    private readonly lookup: ImageLookup,
    private readonly tokens: ExpiringLinkTokens,
    private readonly clock: Clock,
    notifications: DatabaseNotifications,
  ) {
    this.states = new NotifiedCache(notifications, (id) => this.loadState(id), {
      max: 10_000,
      follows: { channel: 'expiring_links_changed', drops: 'key' },
    });
  }

  async create(owner: Principal, imageId: string, input: CreateExpiringLinkDto): Promise<ExpiringLinkDto> {
    const image = await this.lookup.find(imageId);
    if (!image || image.ownerId !== owner.id) throw new ImageNotFoundError();
    const { tier } = owner;
    if (!tier.expiringLinks) throw new PlanFeatureError(`The ${tier.name} plan does not include expiring links`);
    const variant = input.variant ?? 'original';
    if (!tierGrants(tier, variant)) {
      throw new VariantNotGrantedError(
        `The ${tier.name} plan does not include the variant "${variant}"; it offers: ${grantedVariants(tier).join(', ') || 'nothing'}`,
      );
    }
    const now = this.clock.now();
    const link = this.links.create({
      id: randomUUID(),
      imageId,
      createdById: owner.id,
      variant,
      expiresAt: new Date(now.getTime() + input.expiresIn * 1000),
      revokedAt: null,
      createdAt: now,
    });
    await this.links.manager.transaction(async (em) => {
      // One creation at a time per image, so parallel requests cannot all pass the count.
      await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 16))`, [imageId]);
      const [{ n, oldest }] = (await em.query(
        `SELECT count(*)::int AS n, min("createdAt") AS oldest FROM expiring_links WHERE "imageId" = $1 AND "createdAt" > $2`,
        [imageId, new Date(now.getTime() - HOUR_MS)],
      )) as Array<{ n: number; oldest: Date | null }>;
      if (n >= EXPIRING_LINKS_PER_IMAGE_PER_HOUR) {
        const retryAfter = Math.max(
          1,
          Math.ceil(((oldest?.getTime() ?? now.getTime()) + HOUR_MS - now.getTime()) / 1000),
        );
        throw new TooManyExpiringLinksError(
          `This image got ${EXPIRING_LINKS_PER_IMAGE_PER_HOUR} expiring links in the last hour; try again in ${retryAfter} s`,
          retryAfter,
        );
      }
      await em.insert(ExpiringLink, link);
    });
    return {
      id: link.id,
      url: this.tokens.url({ linkId: link.id, imageId, variant, expiresAt: link.expiresAt }, image.format),
      variant,
      expiresAt: link.expiresAt.toISOString(),
    };
  }

  /**
   * Whether a correctly signed, unexpired link may still be used: one primary-key lookup, then cached until a
   * revocation anywhere drops it (bypassed while notifications are down).
   */
  state(linkId: string): Promise<LinkState> {
    return this.states.get(linkId);
  }

  /** What state() would resolve with when it is known without waiting (NotifiedCache.peek); else undefined. */
  knownState(linkId: string): { value: LinkState } | undefined {
    return this.states.peek(linkId);
  }

  private async loadState(linkId: string): Promise<LinkState> {
    const row = await this.links.findOne({ where: { id: linkId }, select: { id: true, revokedAt: true } });
    return !row ? 'missing' : row.revokedAt ? 'revoked' : 'live';
  }

  /** Revokes a link at once (admin panel); an earlier revocation keeps its time. False when it does not exist. */
  async revoke(linkId: string): Promise<boolean> {
    await this.links.update({ id: linkId, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
    this.states.delete(linkId); // here at once; other instances when the trigger's NOTIFY reaches them
    return this.links.existsBy({ id: linkId });
  }

  /** Scheduled on every instance; the DELETE is idempotent, so running it twice costs nothing. */
  @Interval('expiring-links-cleanup', 10 * 60 * 1000)
  async deleteExpired(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - RETENTION_MS);
    const result = await this.links.delete({ expiresAt: LessThan(cutoff) });
    // Their tokens expired a day ago, so serving answers 410 before it asks for a state (on every instance);
    // here the cached states are dropped anyway so that state() tells the truth.
    if (result.affected) this.states.clear();
    if (result.affected)
      this.logger.log(`Deleted ${result.affected} expiring links that ended before ${cutoff.toISOString()}`);
    return result.affected ?? 0;
  }
}
