import { Injectable, Logger, Optional } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import type { EntityManager } from 'typeorm';
import { Clock } from '../common/clock.js';
import { Metrics } from '../observability/metrics.js';
import type { TierLimits } from '../tiers/tier.rules.js';
import { StorageQuotaExceededError, UploadsPerDayExceededError } from './usage.errors.js';
import { type KeepVerdict, UsageRepository, type UsageSnapshot } from './usage.repository.js';
import { DAY_MS, type Usage } from './usage.js';

/** Bytes promised to one upload in flight: settle it with the image insert, or release it. */
export interface Reservation {
  /** Null when the tier has no quota and no daily limit: nothing to reserve, nothing to release. */
  id: string | null;
  bytes: number;
}

type Refusal = { quota: number } | { perDay: number; over: number };

/**
 * The rules of what a user may use, exact across instances (PostgreSQL holds every counter):
 * - before an upload stores anything, `reserve` takes its bytes (original plus thumbnails) under the user's
 *   row lock, refusing past the storage quota (403) or the uploads per 24 hours (429 with Retry-After);
 * - the image insert `settle`s the reservation in its own transaction, and the trigger on images adds the
 *   bytes and the upload; a failure `release`s it;
 * - a thumbnail or extra format written later is kept only if `keep` finds room for it (same lock);
 * - a delete frees the image's bytes in the deleting transaction (trigger).
 */
@Injectable()
export class UsageService {
  private readonly logger = new Logger(UsageService.name);

  constructor(
    private readonly repository: UsageRepository,
    private readonly clock: Clock,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /** One user's usage now. */
  async of(userId: string): Promise<Usage> {
    return (await this.ofMany([userId])).get(userId)!;
  }

  /** Several users' usage (the admin panel). */
  ofMany(userIds: string[]): Promise<Map<string, Usage>> {
    return this.repository.usageOf(userIds, this.clock.now());
  }

  /**
   * Before the body is read: refuses an upload that cannot succeed whatever its size (quota already full,
   * uploads of the day used up). Only a hint, without the lock: `reserve` decides.
   */
  async precheck(userId: string, limits: TierLimits): Promise<void> {
    if (limits.storageQuotaBytes === null && limits.uploadsPerDay === null) return;
    const now = this.clock.now();
    const verdict = this.verdict(limits, 1, await this.repository.snapshot(userId, now));
    if (verdict !== true) throw await this.refusal(userId, verdict, now);
  }

  /**
   * Reserves `bytes` for an upload of `userId`, or throws StorageQuotaExceededError (403) /
   * UploadsPerDayExceededError (429). A tier without quota and daily limit reserves nothing.
   */
  async reserve(userId: string, limits: TierLimits, bytes: number): Promise<Reservation> {
    if (limits.storageQuotaBytes === null && limits.uploadsPerDay === null) return { id: null, bytes };
    const now = this.clock.now();
    const outcome = await this.repository.reserve(userId, bytes, now, (s) => this.verdict(limits, bytes, s));
    if ('id' in outcome) return { id: outcome.id, bytes };
    throw await this.refusal(userId, outcome, now, bytes);
  }

  private verdict(limits: TierLimits, bytes: number, s: UsageSnapshot): true | Refusal {
    const { storageQuotaBytes: quota, uploadsPerDay: perDay } = limits;
    if (quota !== null && s.storedBytes + s.reservedBytes + bytes > quota) return { quota };
    const taken = s.uploadsInWindow + s.uploadsInFlight;
    if (perDay !== null && taken >= perDay) return { perDay, over: taken - perDay + 1 };
    return true;
  }

  private async refusal(userId: string, refusal: Refusal, now: Date, bytes?: number): Promise<Error> {
    if ('quota' in refusal) {
      this.metrics?.uploadRefused('storage_quota');
      return new StorageQuotaExceededError(refusal.quota, (await this.of(userId)).storedBytes, bytes);
    }
    this.metrics?.uploadRefused('uploads_per_day');
    return new UploadsPerDayExceededError(refusal.perDay, await this.retryAfter(userId, refusal.over, now));
  }

  /** Ends a reservation inside the transaction that inserts its image. */
  async settle(manager: EntityManager, reservation: Reservation): Promise<void> {
    if (reservation.id) await this.repository.settle(manager, reservation.id);
  }

  /** Gives a failed upload's reservation back (safe after a settle too: then it does nothing). */
  async release(reservation: Reservation): Promise<void> {
    if (!reservation.id) return;
    await this.repository.release(reservation.id).catch((error: unknown) => {
      // Not lost: a reservation stops counting after RESERVATION_TTL_MS anyway.
      this.logger.warn(`Could not release an upload reservation: ${String(error)}`);
    });
  }

  /**
   * Before writing a file for an image after its upload (a thumbnail made later, a background format): counts
   * its bytes toward the owner's stored bytes if they fit the tier's quota, under the same row lock as upload
   * reservations, once per storage key. 'over': nothing counted, do not keep the file; 'gone': the image is.
   * A write that then fails gives the bytes back with `unkeep`.
   */
  keep(imageId: string, key: string, bytes: number): Promise<KeepVerdict> {
    return this.repository.keepStored(imageId, key, bytes, this.clock.now());
  }

  unkeep(imageId: string, key: string, bytes: number): Promise<void> {
    return this.repository.unkeepStored(imageId, key, bytes);
  }

  /**
   * Bytes the image's owner may still store (null: no quota), and what they store now; a hint without the
   * lock, to skip a costly decode whose result could not be kept. Undefined when the image is gone.
   */
  roomOf(imageId: string): Promise<{ room: number | null; stored: number } | undefined> {
    return this.repository.roomOf(imageId, this.clock.now());
  }

  /** Seconds until enough uploads leave the window for one more: `over` of them must go. */
  private async retryAfter(userId: string, over: number, now: Date): Promise<number> {
    const leaving = await this.repository.nthUploadInWindow(userId, over, now);
    // Not enough committed uploads to wait for: the ones in flight land now and leave in a day.
    const freeAt = leaving ? leaving.getTime() + DAY_MS : now.getTime() + DAY_MS;
    return Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000));
  }

  /** Upload events out of the window and forgotten reservations go (every instance; idempotent). */
  @Interval('usage-prune', 60 * 60 * 1000)
  async prune(): Promise<void> {
    await this.repository.prune(this.clock.now()).catch((error: unknown) => {
      this.logger.warn(`Could not prune usage records: ${String(error)}`);
    });
  }
}
