/** Why an upload may not start now, and when to try again. */
export interface UploadRefusal {
  scope: 'user' | 'server';
  retryAfterSeconds: number;
}

const RETRY_AFTER_SECONDS = 5;

/**
 * Counts uploads in progress in this process, per user and in total, so that slow or stalled uploads
 * cannot pile up sockets and spool files without bound. `enter` either takes a slot (and returns the
 * function that gives it back) or says why not.
 */
export class UploadGate {
  private total = 0;
  private readonly perUser = new Map<string, number>();

  constructor(
    private readonly maxPerUser: number,
    private readonly maxTotal: number,
  ) {}

  enter(userId: string): { release: () => void } | { refused: UploadRefusal } {
    const mine = this.perUser.get(userId) ?? 0;
    if (mine >= this.maxPerUser) return { refused: { scope: 'user', retryAfterSeconds: RETRY_AFTER_SECONDS } };
    if (this.total >= this.maxTotal) return { refused: { scope: 'server', retryAfterSeconds: RETRY_AFTER_SECONDS } };
    this.total++;
    this.perUser.set(userId, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perUser.get(userId) ?? 1) - 1;
        if (left > 0) this.perUser.set(userId, left);
        else this.perUser.delete(userId);
      },
    };
  }

  /** Uploads in progress (all users, or one). */
  inProgress(userId?: string): number {
    return userId === undefined ? this.total : (this.perUser.get(userId) ?? 0);
  }
}
