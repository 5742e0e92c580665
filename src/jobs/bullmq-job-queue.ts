import { type BeforeApplicationShutdown, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type Job, type JobsOptions, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { QueueConfig } from '../config/config.js';
import {
  type JobHandler,
  type JobName,
  type JobPayloads,
  JobQueue,
  keyedJobId,
  type RunningJob,
  type WaitOutcome,
} from './job-queue.js';
import { JobWaits } from './job-waits.js';

/** The one BullMQ queue; job names are the JobQueue seam's names. Its keys are `<QUEUE_PREFIX>:jobs:*`. */
export const QUEUE_NAME = 'jobs';

/**
 * Retried with exponential backoff (2 s, 4 s, 8 s, 16 s); a job that fails all attempts is kept for inspection
 * (the newest 5000; `failed` in /api/health counts them). Completed jobs are dropped after a day (newest 1000).
 */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { count: 5000 },
};

/** A producer inside a request never waits longer than this for Redis. */
const ENQUEUE_TIMEOUT_MS = 1000;
const STATS_TIMEOUT_MS = 2000;

export interface QueueStats {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** Worker processes connected to the queue now. */
  workers: number;
}

const timeout = (ms: number, what: string) =>
  new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms).unref(),
  );

/**
 * The JobQueue seam on BullMQ (REDIS_URL set). Two roles:
 * - `producer` (the API): `enqueue` adds a job and never makes a request wait on Redis: with Redis away it logs
 *   and carries on (the serving path makes a missing thumbnail on its first request). Handlers registered here
 *   are ignored: API processes do not run jobs. A keyed job (keyedJobId: the upload's make-thumbnails) has
 *   that id in BullMQ, so any API process can `waitFor` it (JobWaits) while a request needs what it makes.
 * - `worker` (`npm run start:worker`): runs the registered handlers. A job whose worker dies (SIGKILL) keeps its
 *   lock for `lockMs` and is then moved back to the queue by the stalled-job check of any worker; on shutdown
 *   the worker takes no new job and finishes the running ones.
 */
export class BullMqJobQueue extends JobQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runsInWorkers = true;
  private readonly logger = new Logger('Jobs');
  private readonly handlers = new Map<JobName, JobHandler<JobName>>();
  /** Commands fail at once while disconnected (no offline queue): nothing waits for a Redis that is gone. */
  private readonly connection: Redis;
  private readonly queue: Queue;
  private worker?: Worker;
  private readonly waits: JobWaits;
  private redisDown = false;

  constructor(
    private readonly config: QueueConfig,
    readonly role: 'producer' | 'worker',
  ) {
    super();
    this.connection = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      connectionName: `image-api-${role}`, // shows in CLIENT LIST
    });
    this.connection.on('error', (error: Error) => this.onRedisError(error));
    this.connection.on('ready', () => {
      if (this.redisDown) this.logger.log('Redis is back');
      this.redisDown = false;
    });
    this.queue = new Queue(QUEUE_NAME, {
      connection: this.connection,
      prefix: config.prefix,
      defaultJobOptions: JOB_OPTIONS,
    });
    this.queue.on('error', (error: Error) => this.onRedisError(error));
    this.waits = new JobWaits(this.queue, config, (error) => this.onRedisError(error));
  }

  private onRedisError(error: Error): void {
    if (this.redisDown) return; // one line per outage, not one per reconnection attempt
    this.redisDown = true;
    this.logger.warn(`Redis is unavailable (${error.message}); retrying in the background`);
  }

  register<N extends JobName>(name: N, handler: JobHandler<N>): void {
    if (this.role === 'producer') return; // worker processes run the jobs
    this.handlers.set(name, handler as JobHandler<JobName>);
  }

  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<void> {
    const what = `${name} ${JSON.stringify(payload)}`;
    if (this.connection.status !== 'ready') {
      this.logger.warn(`Job ${what} not queued: Redis is not connected`);
      return;
    }
    try {
      const jobId = keyedJobId(name, payload);
      await Promise.race([this.queue.add(name, payload, { jobId }), timeout(ENQUEUE_TIMEOUT_MS, 'queueing')]);
    } catch (error) {
      this.logger.warn(`Job ${what} not queued: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** See JobWaits: on QueueEvents, never longer than `ms`; Redis away: 'absent' (the caller does the work). */
  waitFor<N extends JobName>(name: N, payload: JobPayloads[N], ms: number): Promise<WaitOutcome> {
    const id = keyedJobId(name, payload);
    if (id === undefined || this.connection.status !== 'ready') return Promise.resolve('absent');
    return this.waits.wait(id, ms);
  }

  /**
   * A producer runs nothing: resolves at once. A worker: resolves once the queue has no active job (BullMQ does
   * not expose the jobs one worker is running, so this waits for every worker's).
   */
  async drain(): Promise<void> {
    while (this.worker?.isRunning() && (await this.queue.getActiveCount()) > 0) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  onApplicationBootstrap(): void {
    if (this.role !== 'worker') return;
    const { concurrency, lockMs, prefix } = this.config;
    // Blocking commands: this connection must retry forever (maxRetriesPerRequest null, STACK.md trap 13).
    // No connectionName: BullMQ names worker connections itself (that is how getWorkersCount finds them).
    const connection = new Redis(this.config.redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', (error: Error) => this.onRedisError(error));
    this.worker = new Worker(QUEUE_NAME, (job: Job) => this.process(job), {
      connection,
      prefix,
      concurrency,
      lockDuration: lockMs,
      // A dead worker's job is back in the queue within about 2 × lockMs.
      stalledInterval: lockMs,
      maxStalledCount: 2,
    });
    this.worker.on('error', (error: Error) => this.onRedisError(error));
    this.worker.on('failed', (job: Job | undefined, error: Error) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1);
      this.logger.warn(
        `Job ${job.name} ${JSON.stringify(job.data)} failed (attempt ${job.attemptsMade}` +
          `${final ? ', kept in the failed list' : ', will retry'}): ${error.message}`,
      );
    });
    this.worker.on('closed', () => void connection.quit().catch(() => connection.disconnect()));
  }

  private async process(job: Job): Promise<void> {
    const handler = this.handlers.get(job.name as JobName);
    if (!handler) throw new Error(`No handler for job ${job.name}`);
    const started = performance.now();
    // Its progress marks the job for waiters (a 'progress' event, `job.progress` for those who look later).
    const running: RunningJob = { unblockWaiters: () => job.updateProgress(1).catch(() => undefined) };
    await handler(job.data as JobPayloads[JobName], running);
    this.logger.log(
      `Job ${job.name} ${JSON.stringify(job.data)} done in ${Math.round(performance.now() - started)} ms ` +
        `(job ${job.id}, attempt ${job.attemptsMade + 1})`,
    );
  }

  /** Counts for /api/health; throws when Redis does not answer. */
  async stats(): Promise<QueueStats> {
    if (this.connection.status !== 'ready') throw new Error(`Redis is not connected (${this.connection.status})`);
    const counts = Promise.all([
      this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
      this.queue.getWorkersCount().catch(() => -1), // CLIENT LIST may be refused by a managed Redis
    ]);
    const [c, workers] = await Promise.race([counts, timeout(STATS_TIMEOUT_MS, 'Redis')]);
    return {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      failed: c.failed ?? 0,
      workers,
    };
  }

  /** Before the database and storage close: stop taking jobs, let the running ones finish. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.waits.close();
    if (this.worker) {
      this.logger.log('Stopping: no new jobs; waiting for the running ones');
      await this.worker.close();
    }
    await this.queue.close().catch(() => undefined);
    if (this.connection.status === 'ready') await this.connection.quit().catch(() => undefined);
    this.connection.disconnect();
  }
}
