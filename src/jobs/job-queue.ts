import { type BeforeApplicationShutdown, Injectable, Logger, Optional } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { Metrics } from '../observability/metrics.js';

/** Jobs the application knows, by name, with their payloads. */
export interface JobPayloads {
  /** Make the thumbnails the owner's tier grants for a freshly uploaded image. */
  'make-thumbnails': { imageId: string };
  /** Make the formats that are too slow for a request (AVIF) of an image's granted heights. */
  'make-background-formats': { imageId: string };
}
export type JobName = keyof JobPayloads;
/** What a handler may tell the queue while its job runs. */
export interface RunningJob {
  /** What `waitFor` callers wait for is done (the job may go on with slower work): they stop waiting now. */
  unblockWaiters(): Promise<void>;
}
export type JobHandler<N extends JobName> = (payload: JobPayloads[N], job: RunningJob) => Promise<void>;
/** How a `waitFor` ended: the job finished, failed or unblocked its waiters; there is no such job; time ran out. */
export type WaitOutcome = 'done' | 'absent' | 'timeout';

/**
 * The id of a job that exists once per payload, so that any process can find it (`waitFor`): the upload's
 * 'make-thumbnails' (one per image; a second enqueue while it is kept is ignored). Background formats are asked
 * for again and again (ThumbnailsService.wantBackground), so their jobs get no such id. No ':' (BullMQ's
 * separator in its keys).
 */
export function keyedJobId<N extends JobName>(name: N, payload: JobPayloads[N]): string | undefined {
  return name === 'make-thumbnails' ? `${name}-${payload.imageId}` : undefined;
}

/**
 * The queue seam. Producers only `enqueue`; handlers are registered by the module that owns the work.
 * In-process by default; a BullMQ implementation takes over when REDIS_URL is set (separate workers).
 * Jobs must be idempotent: a job may run again after a crash, and the serving path makes a missing
 * thumbnail on demand anyway, so a lost job costs latency, never correctness.
 */
export abstract class JobQueue {
  /** True when separate worker processes run the jobs (BullMQ): work queued here leaves this process. */
  abstract readonly runsInWorkers: boolean;
  abstract enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void>;
  abstract register<N extends JobName>(name: N, handler: JobHandler<N>): void;
  /**
   * Waits at most `ms` for the keyed job (keyedJobId) of `name` and `payload` while it is queued or running:
   * 'absent' at once when there is none (never queued, long gone, the queue unreachable).
   */
  abstract waitFor<N extends JobName>(name: N, payload: JobPayloads[N], ms: number): Promise<WaitOutcome>;
  /** Resolves when nothing is queued or running (tests; shutdown). */
  abstract drain(): Promise<void>;
}

/**
 * Jobs waiting in one process, at most: beyond it `enqueue` refuses (the producer forgets the job; the work it
 * stood for is asked for again when needed, e.g. an AVIF on its first request). Background formats wait for a
 * lull between uploads, so a process under a steady stream of uploads would otherwise queue without bound.
 */
export const MAX_PENDING_JOBS = 10_000;

export class JobQueueFullError extends Error {
  constructor() {
    super(`More than ${MAX_PENDING_JOBS} jobs are waiting in this process`);
  }
}

/** Runs jobs in this process, a few at a time, after the response that enqueued them has gone out. */
@Injectable()
export class InProcessJobQueue extends JobQueue implements BeforeApplicationShutdown {
  readonly runsInWorkers = false;
  private readonly logger = new Logger('Jobs');
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  private readonly pending: Array<() => Promise<void>> = [];
  /** Keyed jobs (keyedJobId) queued or running here: resolved when they unblock their waiters or end. */
  private readonly keyed = new Map<string, { unblocked: Promise<void>; unblock: () => void }>();
  private readonly concurrency = Math.max(1, availableParallelism() - 1);
  private running = 0;
  private idle: Array<() => void> = [];
  private closed = false;

  constructor(@Optional() private readonly metrics?: Metrics) {
    super();
  }

  register<N extends JobName>(name: N, handler: JobHandler<N>): void {
    this.handlers.set(name, handler as JobHandler<JobName>);
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void> {
    if (this.closed) return;
    const handler = this.handlers.get(name);
    if (!handler) throw new Error(`No handler for job ${name}`);
    const id = keyedJobId(name, payload);
    if (id !== undefined && this.keyed.has(id)) return; // queued or running already: one at a time, as in BullMQ
    if (this.pending.length >= MAX_PENDING_JOBS) throw new JobQueueFullError();
    let unblock!: () => void;
    const unblocked = new Promise<void>((resolve) => (unblock = resolve));
    if (id !== undefined) this.keyed.set(id, { unblocked, unblock });
    const job: RunningJob = { unblockWaiters: () => Promise.resolve(unblock()) };
    this.metrics?.jobsQueued.inc();
    this.pending.push(() =>
      handler(payload, job)
        .catch((error: unknown) => {
          this.metrics?.jobFailures.inc({ job: name });
          this.logger.warn(`Job ${name} ${JSON.stringify(payload)} failed: ${String(error)}`);
        })
        .finally(() => {
          this.metrics?.jobsQueued.dec();
          if (id !== undefined) this.keyed.delete(id);
          unblock();
        }),
    );
    setImmediate(() => this.pump());
  }

  async waitFor<N extends JobName>(name: N, payload: JobPayloads[N], ms: number): Promise<WaitOutcome> {
    const id = keyedJobId(name, payload);
    const job = id === undefined ? undefined : this.keyed.get(id);
    if (!job) return 'absent';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<WaitOutcome>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    return Promise.race([job.unblocked.then(() => 'done' as const), timeout]).finally(() => clearTimeout(timer));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.pending.length > 0) {
      const job = this.pending.shift()!;
      this.running++;
      void job().finally(() => {
        this.running--;
        this.pump();
      });
    }
    if (this.running === 0 && this.pending.length === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  drain(): Promise<void> {
    if (this.running === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Before the database closes (onApplicationShutdown): let running jobs finish. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.metrics?.jobsQueued.dec(this.pending.length);
    this.pending.length = 0; // not started: the serving path makes those thumbnails when asked
    for (const job of this.keyed.values()) job.unblock(); // nobody waits for a job that will not run
    await this.drain();
  }
}
