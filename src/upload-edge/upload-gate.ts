/** Why an upload may not start, and when to try again. */
export interface UploadRefusal {
  /** user: their queue is full or the wait ran out (429); server: too many uploads here (503). */
  scope: 'user' | 'server';
  retryAfterSeconds: number;
}

export interface UploadSlot {
  release: () => void;
}

export interface QueueLimits {
  /** Uploads of one user that may wait for a slot (beyond them: 429). */
  perUser: number;
  /** How long one may wait (then: 429). */
  waitMs: number;
}

const RETRY_AFTER_SECONDS = 5;

interface Waiter {
  admit: (slot: UploadSlot) => void;
  timer: NodeJS.Timeout;
}

/**
 * Counts uploads in progress in this process, per user and in total, so that slow or stalled uploads cannot
 * pile up sockets and spool files without bound. A user's uploads beyond their bound wait in a FIFO queue
 * (their bodies unread: the caller reads nothing until admitted) and take the next slot that user frees;
 * only a full queue or a wait past `waitMs` is refused. The process-wide bound still refuses at once (503):
 * waiting there would only move the pile-up.
 */
export class UploadGate {
  private total = 0;
  private readonly perUser = new Map<string, number>();
  private readonly queues = new Map<string, Waiter[]>();

  constructor(
    private readonly maxPerUser: number,
    private readonly maxTotal: number,
    private readonly queue: QueueLimits = { perUser: 0, waitMs: 0 },
  ) {}

  /**
   * A slot now, or after waiting for one of the user's own, or why not. Abort `signal` (the client went
   * away) to leave the queue: the promise then resolves to a refusal nobody reads.
   */
  enter(userId: string, signal?: AbortSignal): Promise<UploadSlot | { refused: UploadRefusal }> {
    const mine = this.perUser.get(userId) ?? 0;
    if (mine < this.maxPerUser) {
      if (this.total >= this.maxTotal) return Promise.resolve(this.refusal('server'));
      this.total++;
      this.perUser.set(userId, mine + 1);
      return Promise.resolve(this.slot(userId));
    }
    const waiting = this.queues.get(userId) ?? [];
    if (waiting.length >= this.queue.perUser || signal?.aborted) return Promise.resolve(this.refusal('user'));
    return new Promise((resolve) => {
      const leave = () => {
        clearTimeout(waiter.timer);
        signal?.removeEventListener('abort', onAbort);
        const queue = this.queues.get(userId);
        const at = queue?.indexOf(waiter) ?? -1;
        if (at >= 0) queue!.splice(at, 1);
        if (queue?.length === 0) this.queues.delete(userId);
      };
      const onAbort = () => {
        leave();
        resolve(this.refusal('user'));
      };
      const waiter: Waiter = {
        admit: (slot) => {
          leave();
          resolve(slot);
        },
        timer: setTimeout(onAbort, this.queue.waitMs),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.push(waiter);
      this.queues.set(userId, waiting);
    });
  }

  /** Uploads in progress (all users, or one). */
  inProgress(userId?: string): number {
    return userId === undefined ? this.total : (this.perUser.get(userId) ?? 0);
  }

  /** Uploads waiting for a slot (all users, or one). */
  waiting(userId?: string): number {
    if (userId !== undefined) return this.queues.get(userId)?.length ?? 0;
    let count = 0;
    for (const queue of this.queues.values()) count += queue.length;
    return count;
  }

  private refusal(scope: UploadRefusal['scope']) {
    return { refused: { scope, retryAfterSeconds: RETRY_AFTER_SECONDS } };
  }

  private slot(userId: string): UploadSlot {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        // The user's next waiter takes the slot as it is: the totals do not move.
        const next = this.queues.get(userId)?.[0];
        if (next) return next.admit(this.slot(userId));
        this.total--;
        const left = (this.perUser.get(userId) ?? 1) - 1;
        if (left > 0) this.perUser.set(userId, left);
        else this.perUser.delete(userId);
      },
    };
  }
}
