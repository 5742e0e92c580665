import { DomainError } from '../common/domain-error.js';

/** The queue is full: the work was not taken (503 with Retry-After at the edge). */
export class DecodeQueueFullError extends DomainError {
  readonly kind = 'unavailable';
  override readonly retryAfter = 5;
  constructor() {
    super('The server is busy decoding images; try again shortly');
  }
}

/**
 * Bounds the sharp work running at once, by count and by the memory the decodes may hold: each piece of
 * work states its weight (bytes it may hold), and waits until both a slot and that many bytes are free.
 * First come, first served: a heavy decode at the head of the queue is not starved by lighter ones behind it.
 * The serving path of kept files never comes here. The queue is bounded: beyond `maxWaiting`, work is refused
 * at once (an unbounded queue let aborted uploads keep the server busy long after their clients left).
 *
 * Background work (formats nobody waits for: AVIF) has a lane of its own and starts only when no foreground
 * work (an upload, a thumbnail a request waits for) runs or waits: under a stream of uploads it waits for the
 * first lull, and the uploads keep every core. Its queue is bounded by whoever queues it (the job queue's
 * concurrency), not by `maxWaiting`.
 */
export class DecodeGate {
  private running = 0;
  private foregroundRunning = 0;
  private bytesInUse = 0;
  private readonly queue: Waiting[] = [];
  private readonly background: Waiting[] = [];

  constructor(
    readonly slots: number,
    readonly capacityBytes: number,
    /** Work that may wait behind the running ones; more is refused with DecodeQueueFullError at once. */
    readonly maxWaiting = Number.POSITIVE_INFINITY,
  ) {
    if (!(slots >= 1) || !(capacityBytes > 0))
      throw new RangeError('DecodeGate needs at least one slot and some bytes');
  }

  /**
   * Runs `work` once a slot and `weight` bytes (at most the whole capacity) are free; `background` work once,
   * besides, no foreground work runs or waits.
   */
  async run<T>(weight: number, work: () => Promise<T>, { background = false } = {}): Promise<T> {
    const bytes = Math.min(Math.max(0, weight), this.capacityBytes);
    if (!background && this.queue.length >= this.maxWaiting) throw new DecodeQueueFullError();
    await new Promise<void>((start) => {
      (background ? this.background : this.queue).push({ weight: bytes, start });
      this.pump();
    });
    try {
      return await work();
    } finally {
      this.running--;
      if (!background) this.foregroundRunning--;
      this.bytesInUse -= bytes;
      this.pump();
    }
  }

  /** Foreground work waiting for its turn (tests, diagnostics). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Background work waiting for a lull. */
  get waitingInBackground(): number {
    return this.background.length;
  }

  get active(): { count: number; bytes: number } {
    return { count: this.running, bytes: this.bytesInUse };
  }

  private pump(): void {
    while (this.queue.length > 0) {
      if (!this.take(this.queue)) return;
      this.foregroundRunning++;
    }
    while (this.foregroundRunning === 0 && this.background.length > 0) {
      if (!this.take(this.background)) return;
    }
  }

  /** Starts the head of `lane` when a slot and its bytes are free. */
  private take(lane: Waiting[]): boolean {
    const next = lane[0];
    if (this.running >= this.slots || this.bytesInUse + next.weight > this.capacityBytes) return false;
    lane.shift();
    this.running++;
    this.bytesInUse += next.weight;
    next.start();
    return true;
  }
}

interface Waiting {
  weight: number;
  start: () => void;
}
