import type { Clock } from '../common/clock.js';

/** Images remembered at most (oldest forgotten first): a bounded map whatever the number of images. */
const MAX_REMEMBERED = 10_000;
/** A remembered image's room is looked at again (one query, no decode) at most this often per process. */
export const QUOTA_RECHECK_MS = 60_000;

/**
 * Images whose background formats (AVIF) were not kept because the owner's storage quota had no room for
 * them, with the room the owner had left then. Another try (another decode) is worth it only once there is
 * more room than then (a delete, a larger quota, no quota any more: see `mayRetry`); until then the best
 * format already made is served, requests queue no job for it for QUOTA_RECHECK_MS at a time (`resting`),
 * and a job that comes anyway (another instance's) only reads the room. Per process: a new worker (or a
 * restart) tries once more, then remembers.
 */
export class QuotaSkips {
  private readonly skipped = new Map<string, { room: number; at: number }>();

  constructor(private readonly clock: Clock) {}

  remember(imageId: string, room: number): void {
    this.skipped.delete(imageId);
    this.skipped.set(imageId, { room, at: this.clock.now().getTime() });
    if (this.skipped.size > MAX_REMEMBERED) this.skipped.delete(this.skipped.keys().next().value!);
  }

  /** Whether an image's formats may be tried (again), given the owner's room now (null: no quota). */
  mayRetry(imageId: string, room: number | null): boolean {
    const then = this.skipped.get(imageId);
    if (then === undefined || room === null || room > then.room) {
      this.skipped.delete(imageId);
      return true;
    }
    then.at = this.clock.now().getTime();
    return false;
  }

  /** Skipped, and its room looked at less than QUOTA_RECHECK_MS ago: queueing it again would do nothing. */
  resting(imageId: string): boolean {
    const then = this.skipped.get(imageId);
    return then !== undefined && this.clock.now().getTime() - then.at < QUOTA_RECHECK_MS;
  }
}
