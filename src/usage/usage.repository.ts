import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DAY_MS, RESERVATION_TTL_MS, type Usage } from './usage.js';

/** The user's counters at the moment a reservation was asked for, under the lock. */
export interface UsageSnapshot {
  storedBytes: number;
  /** Bytes promised to the user's other uploads in flight. */
  reservedBytes: number;
  /** Uploads in the window, and in flight (each will be one). */
  uploadsInWindow: number;
  uploadsInFlight: number;
}

/**
 * What a reservation attempt decides, given the counters (under the lock): `true` to take it, or a value
 * that the caller turns into a refusal.
 */
export type ReservationRule<R> = (snapshot: UsageSnapshot) => true | R;

/** What keepStored decided about a file written after its upload. */
export type KeepVerdict = 'kept' | 'over' | 'gone';

/**
 * The SQL of usage accounting (see the migration 1763920000000-tier-limits-and-usage for the tables and the
 * trigger that keeps user_usage and upload_events in step with images). Times come from the application's
 * clock, like images."createdAt", so that the window is the one the rows were written in.
 */
@Injectable()
export class UsageRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Counters for some users (missing ones: nothing used). */
  async usageOf(userIds: string[], now: Date): Promise<Map<string, Usage>> {
    const rows: Array<{ userId: string; images: number; storedBytes: string; uploadsToday: number }> =
      await this.dataSource.query(
        `SELECT id AS "userId", coalesce(u.images, 0) AS images, coalesce(u."storedBytes", 0) AS "storedBytes",
                (SELECT count(*)::int FROM upload_events e WHERE e."userId" = id AND e.at > $2) AS "uploadsToday"
           FROM unnest($1::uuid[]) AS id LEFT JOIN user_usage u ON u."userId" = id`,
        [userIds, new Date(now.getTime() - DAY_MS)],
      );
    return new Map(
      rows.map((r) => [
        r.userId,
        { images: r.images, storedBytes: Number(r.storedBytes), uploadsToday: r.uploadsToday },
      ]),
    );
  }

  /**
   * Under the user's usage row lock (every reservation of this user, on every instance, queues here): reads
   * the counters, asks `rule`, and on `true` records a reservation of `bytes` and returns its id; otherwise
   * returns what the rule said. Prunes the user's stale reservations and old upload events on the way.
   */
  reserve<R>(userId: string, bytes: number, now: Date, rule: ReservationRule<R>): Promise<{ id: string } | R> {
    return this.dataSource.transaction(async (tx) => {
      await tx.query(`INSERT INTO user_usage ("userId") VALUES ($1) ON CONFLICT ("userId") DO NOTHING`, [userId]);
      const [usage]: Array<{ storedBytes: string }> = await tx.query(
        `SELECT "storedBytes" FROM user_usage WHERE "userId" = $1 FOR UPDATE`,
        [userId],
      );
      await tx.query(`DELETE FROM upload_reservations WHERE "userId" = $1 AND "createdAt" <= $2`, [
        userId,
        new Date(now.getTime() - RESERVATION_TTL_MS),
      ]);
      await tx.query(`DELETE FROM upload_events WHERE "userId" = $1 AND at <= $2`, [
        userId,
        new Date(now.getTime() - DAY_MS),
      ]);
      const verdict = rule(await this.counts(tx, userId, Number(usage.storedBytes), now));
      if (verdict !== true) return verdict;
      const id = randomUUID();
      await tx.query(`INSERT INTO upload_reservations (id, "userId", bytes, "createdAt") VALUES ($1, $2, $3, $4)`, [
        id,
        userId,
        bytes,
        now,
      ]);
      return { id };
    });
  }

  /** The counters without taking the lock (a hint before the body is read). */
  async snapshot(userId: string, now: Date): Promise<UsageSnapshot> {
    const rows: Array<{ storedBytes: string }> = await this.dataSource.query(
      `SELECT "storedBytes" FROM user_usage WHERE "userId" = $1`,
      [userId],
    );
    return this.counts(this.dataSource.manager, userId, Number(rows[0]?.storedBytes ?? 0), now);
  }

  private async counts(manager: EntityManager, userId: string, storedBytes: number, now: Date) {
    const [counts]: Array<{ reservedBytes: string; inFlight: number; inWindow: number }> = await manager.query(
      `SELECT (SELECT coalesce(sum(bytes), 0) FROM upload_reservations WHERE "userId" = $1 AND "createdAt" > $3)
                AS "reservedBytes",
              (SELECT count(*)::int FROM upload_reservations WHERE "userId" = $1 AND "createdAt" > $3) AS "inFlight",
              (SELECT count(*)::int FROM upload_events WHERE "userId" = $1 AND at > $2) AS "inWindow"`,
      [userId, new Date(now.getTime() - DAY_MS), new Date(now.getTime() - RESERVATION_TTL_MS)],
    );
    return {
      storedBytes,
      reservedBytes: Number(counts.reservedBytes),
      uploadsInWindow: counts.inWindow,
      uploadsInFlight: counts.inFlight,
    } satisfies UsageSnapshot;
  }

  /** The `nth` oldest upload (1-based) of the user's current window, if there are that many. */
  async nthUploadInWindow(userId: string, nth: number, now: Date): Promise<Date | undefined> {
    const rows: Array<{ at: Date }> = await this.dataSource.query(
      `SELECT at FROM upload_events WHERE "userId" = $1 AND at > $2 ORDER BY at OFFSET $3 LIMIT 1`,
      [userId, new Date(now.getTime() - DAY_MS), nth - 1],
    );
    return rows[0]?.at;
  }

  /** Ends a reservation inside the transaction that inserts its image (the trigger counts the image). */
  async settle(manager: EntityManager, reservationId: string): Promise<void> {
    await manager.query(`DELETE FROM upload_reservations WHERE id = $1`, [reservationId]);
  }

  /** Ends a reservation whose upload failed (or whose image is already in: then nothing happens). */
  async release(reservationId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM upload_reservations WHERE id = $1`, [reservationId]);
  }

  /**
   * Adds a stored file's bytes to its image (and, by the trigger, to the owner's usage), once per storage
   * key. False when the image is gone or the key was counted already.
   */
  async addStored(imageId: string, key: string, bytes: number): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.dataSource.query(
      `UPDATE images SET "storedBytes" = "storedBytes" + $3, "storedKeys" = array_append("storedKeys", $2)
        WHERE id = $1 AND NOT ($2 = ANY("storedKeys"))`,
      [imageId, key, bytes],
    );
    return affected > 0;
  }

  /**
   * A file about to be written for an image after its upload (a thumbnail, a background format): under the
   * owner's usage row lock (the lock `reserve` takes, so uploads and kept formats queue together), counts its
   * bytes if they fit the tier's quota beside the stored bytes and the reservations of uploads in flight.
   * 'kept' (counted now, or counted before under this key), 'over' (nothing counted: do not keep it), 'gone'.
   */
  keepStored(imageId: string, key: string, bytes: number, now: Date): Promise<KeepVerdict> {
    return this.dataSource.transaction(async (tx) => {
      const [image]: Array<{ ownerId: string; quota: string | null; counted: boolean }> = await tx.query(
        `SELECT i."ownerId", t."storageQuotaBytes" AS quota, ($2 = ANY(i."storedKeys")) AS counted
           FROM images i JOIN users u ON u.id = i."ownerId" JOIN tiers t ON t.id = u."tierId" WHERE i.id = $1`,
        [imageId, key],
      );
      if (!image) return 'gone';
      if (image.counted) return 'kept';
      if (image.quota !== null) {
        const room = await this.roomUnderLock(tx, image.ownerId, Number(image.quota), now);
        if (bytes > room) return 'over';
      }
      const [, affected]: [unknown, number] = await tx.query(
        `UPDATE images SET "storedBytes" = "storedBytes" + $3, "storedKeys" = array_append("storedKeys", $2)
          WHERE id = $1 AND NOT ($2 = ANY("storedKeys"))`,
        [imageId, key, bytes],
      );
      return affected > 0 ? 'kept' : 'gone';
    });
  }

  /** Bytes the owner may still store under `quota`: takes their usage row lock (inside `tx`). */
  private async roomUnderLock(tx: EntityManager, userId: string, quota: number, now: Date): Promise<number> {
    await tx.query(`INSERT INTO user_usage ("userId") VALUES ($1) ON CONFLICT ("userId") DO NOTHING`, [userId]);
    const [usage]: Array<{ storedBytes: string }> = await tx.query(
      `SELECT "storedBytes" FROM user_usage WHERE "userId" = $1 FOR UPDATE`,
      [userId],
    );
    const s = await this.counts(tx, userId, Number(usage.storedBytes), now);
    return quota - s.storedBytes - s.reservedBytes;
  }

  /**
   * Bytes the image's owner may still store (without the lock: a hint before a costly decode); null when
   * the tier has no quota; undefined when the image is gone. Also what the owner stores now.
   */
  async roomOf(imageId: string, now: Date): Promise<{ room: number | null; stored: number } | undefined> {
    const [row]: Array<{ ownerId: string; quota: string | null; storedBytes: string | null }> =
      await this.dataSource.query(
        `SELECT i."ownerId", t."storageQuotaBytes" AS quota, uu."storedBytes"
           FROM images i JOIN users u ON u.id = i."ownerId" JOIN tiers t ON t.id = u."tierId"
           LEFT JOIN user_usage uu ON uu."userId" = i."ownerId" WHERE i.id = $1`,
        [imageId],
      );
    if (!row) return undefined;
    const stored = Number(row.storedBytes ?? 0);
    if (row.quota === null) return { room: null, stored };
    const s = await this.counts(this.dataSource.manager, row.ownerId, stored, now);
    return { room: Number(row.quota) - s.storedBytes - s.reservedBytes, stored };
  }

  /** Takes back what keepStored counted for a file whose write then failed. */
  async unkeepStored(imageId: string, key: string, bytes: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE images SET "storedBytes" = "storedBytes" - $3, "storedKeys" = array_remove("storedKeys", $2)
        WHERE id = $1 AND $2 = ANY("storedKeys")`,
      [imageId, key, bytes],
    );
  }

  /** Drops upload events that left the window and reservations past their time (every user). */
  async prune(now: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM upload_events WHERE at <= $1`, [new Date(now.getTime() - DAY_MS)]);
    await this.dataSource.query(`DELETE FROM upload_reservations WHERE "createdAt" <= $1`, [
      new Date(now.getTime() - RESERVATION_TTL_MS),
    ]);
  }
}
