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
 */
export class DecodeGate {
  private running = 0;
  private bytesInUse = 0;
  private readonly queue: Array<{ weight: number; start: () => void }> = [];

  constructor(
    readonly slots: number,
    readonly capacityBytes: number,
    /** Work that may wait behind the running ones; more is refused with DecodeQueueFullError at once. */
    readonly maxWaiting = Number.POSITIVE_INFINITY,
  ) {
    if (!(slots >= 1) || !(capacityBytes > 0))
      throw new RangeError('DecodeGate needs at least one slot and some bytes');
  }

  /** Runs `work` once a slot and `weight` bytes (at most the whole capacity) are free. */
  async run<T>(weight: number, work: () => Promise<T>): Promise<T> {
    const bytes = Math.min(Math.max(0, weight), this.capacityBytes);
    if (this.queue.length >= this.maxWaiting) throw new DecodeQueueFullError();
    await new Promise<void>((start) => {
      this.queue.push({ weight: bytes, start });
      this.pump();
    });
    try {
      return await work();
    } finally {
      this.running--;
      this.bytesInUse -= bytes;
      this.pump();
    }
  }

  /** Work waiting for its turn (tests, diagnostics). */
  get waiting(): number {
    return this.queue.length;
  }

  get active(): { count: number; bytes: number } {
    return { count: this.running, bytes: this.bytesInUse };
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (this.running >= this.slots || this.bytesInUse + next.weight > this.capacityBytes) return;
      this.queue.shift();
      this.running++;
      this.bytesInUse += next.weight;
      next.start();
    }
  }
}
