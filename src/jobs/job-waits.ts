import { Logger } from '@nestjs/common';
import { type Queue, QueueEvents } from 'bullmq';
import type { QueueConfig } from '../config/config.js';
import type { WaitOutcome } from './job-queue.js';

/** A wait re-reads its job this often, for the events QueueEvents may miss (it reads from when it connected). */
const WAIT_POLL_MS = 500;

/**
 * Waits for BullMQ jobs by id (JobQueue.waitFor), for as long as one is waiting, delayed or active: until it
 * completes, fails (its last attempt, or one that is retried after a backoff), is removed, or unblocks its
 * waiters (its progress, set by RunningJob.unblockWaiters). Woken by QueueEvents, opened on the first wait (one
 * more, blocking connection; API processes that never wait never open it), and the job's state is re-read every
 * WAIT_POLL_MS. However many callers wait for one job, this process waits once.
 */
export class JobWaits {
  private readonly logger = new Logger('Jobs');
  private events?: QueueEvents;
  private readonly waits = new Map<string, Promise<WaitOutcome>>();
  /** Ends the wait of a job id (once: a later call is ignored). */
  private readonly ends = new Map<string, (outcome: WaitOutcome) => void>();
  private closed = false;

  constructor(
    private readonly queue: Queue,
    private readonly config: QueueConfig,
    private readonly onRedisError: (error: Error) => void,
  ) {}

  /** At most `ms`; 'absent' when there is no such job or Redis does not answer. */
  wait(id: string, ms: number): Promise<WaitOutcome> {
    if (this.closed) return Promise.resolve('absent');
    let wait = this.waits.get(id);
    if (!wait) {
      wait = this.watch(id, ms).finally(() => this.waits.delete(id));
      this.waits.set(id, wait);
    }
    return wait;
  }

  private watch(id: string, ms: number): Promise<WaitOutcome> {
    this.listen();
    return new Promise((resolve) => {
      let poll: NodeJS.Timeout | undefined;
      let last = 'unread';
      const end = (outcome: WaitOutcome) => {
        if (this.ends.get(id) !== end) return;
        this.ends.delete(id);
        clearTimeout(timer);
        clearTimeout(poll);
        if (outcome === 'timeout') this.logger.warn(`Job ${id} still ${last} after ${ms} ms: not waited for longer`);
        resolve(outcome);
      };
      this.ends.set(id, end);
      const timer = setTimeout(() => end('timeout'), ms);
      const check = () =>
        this.stateOf(id).then(
          (state) => {
            last = state;
            if (state === 'done' || state === 'absent') end(state);
            else if (this.ends.get(id) === end) poll = setTimeout(check, WAIT_POLL_MS);
          },
          () => end('absent'),
        );
      void check(); // once `ends` has it: an event from now on ends the wait
    });
  }

  /** 'done' when waiting is over, 'absent' when there is no such job, else the state it is still in. */
  private async stateOf(id: string): Promise<'done' | 'absent' | 'waiting' | 'delayed' | 'active'> {
    const job = await this.queue.getJob(id);
    if (!job) return 'absent';
    if (job.progress) return 'done'; // it unblocked its waiters
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'done';
    if (state === 'active') return 'active';
    if (state === 'unknown') return 'absent';
    // Back in the queue after a failed attempt (a backoff of seconds): not worth waiting for.
    return job.attemptsMade > 0 ? 'done' : state === 'delayed' ? 'delayed' : 'waiting';
  }

  private listen(): void {
    if (this.events) return;
    // Blocking reads (XREAD): BullMQ opens a connection of its own from these options, retrying forever
    // (maxRetriesPerRequest null, STACK.md trap 13), and closes it with `close`.
    const connection = { url: this.config.redisUrl };
    this.events = new QueueEvents(this.queue.name, { connection, prefix: this.config.prefix });
    this.events.on('error', (error: Error) => this.onRedisError(error));
    // 'delayed': an attempt failed and the retry waits for its backoff ('failed' only comes with the last one).
    const wake = ({ jobId }: { jobId: string }) => this.ends.get(jobId)?.('done');
    for (const event of ['completed', 'failed', 'delayed', 'progress', 'removed'] as const) this.events.on(event, wake);
  }

  /** Ends every wait ('absent': the callers do the work) and closes the events connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const end of [...this.ends.values()]) end('absent');
    if (!this.events) return;
    await this.events.close().catch(() => undefined);
  }
}
