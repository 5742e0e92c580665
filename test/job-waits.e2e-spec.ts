import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { BullMqJobQueue, QUEUE_NAME } from '../src/jobs/bullmq-job-queue.js';
import type { RunningJob } from '../src/jobs/job-queue.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * JobQueue.waitFor on BullMQ, against the machine's Redis (a prefix of this run's own): a producer and a worker
 * in this process, as an API process and `npm run start:worker` are. Without Redis this fails, not skips.
 */
describe('waiting for a BullMQ job by its id (JobQueue.waitFor)', () => {
  const config = { redisUrl: REDIS_URL, prefix: `image-api-test-${randomBytes(6).toString('hex')}`, lockMs: 2000 };
  const producer = new BullMqJobQueue({ ...config, concurrency: 1 }, 'producer');
  let worker: BullMqJobQueue | undefined;
  /** What the worker's handler does with each job: set by each test. */
  let handle: (imageId: string, job: RunningJob) => Promise<void> = () => Promise.resolve();
  let queue: Queue;
  let queueConnection: Redis;

  const startWorker = () => {
    worker = new BullMqJobQueue({ ...config, concurrency: 1 }, 'worker');
    worker.register('make-thumbnails', ({ imageId }, job) => handle(imageId, job));
    worker.onApplicationBootstrap();
  };
  const until = async (what: string, ok: () => Promise<boolean>) => {
    const deadline = Date.now() + 10_000;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const held = () => {
    let release!: () => void;
    return { done: new Promise<void>((resolve) => (release = resolve)), release: () => release() };
  };

  beforeAll(async () => {
    queueConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(QUEUE_NAME, { connection: queueConnection, prefix: config.prefix });
    await until('the producer connected', async () => (await producer.stats().catch(() => null)) !== null);
    // The first wait opens the QueueEvents connection; let it start reading before the timed cases.
    expect(await producer.waitFor('make-thumbnails', { imageId: 'none' }, 1000)).toBe('absent');
    await new Promise((r) => setTimeout(r, 300));
  });

  afterAll(async () => {
    await worker?.beforeApplicationShutdown();
    await producer.beforeApplicationShutdown();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    queueConnection?.disconnect();
  });

  it('gives the upload job the id make-thumbnails-<image id>, once per image', async () => {
    await producer.enqueue('make-thumbnails', { imageId: 'img-1' });
    await producer.enqueue('make-thumbnails', { imageId: 'img-1' });
    expect((await queue.getWaiting()).map((job) => job.id)).toEqual(['make-thumbnails-img-1']);
  });

  it('with no worker, waits the whole time while the job is queued; "absent" for an image without a job', async () => {
    const started = Date.now();
    expect(await producer.waitFor('make-thumbnails', { imageId: 'img-1' }, 700)).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(690);
    expect(await producer.waitFor('make-thumbnails', { imageId: 'img-2' }, 5000)).toBe('absent');
    expect(await producer.waitFor('make-background-formats', { imageId: 'img-1' }, 5000)).toBe('absent');
  });

  it('ends the wait when the running job unblocks its waiters (the progress event), not when it ends', async () => {
    const rest = held();
    let unblockedAt = 0;
    handle = async (_imageId, job) => {
      await new Promise((r) => setTimeout(r, 300));
      unblockedAt = Date.now();
      await job.unblockWaiters();
      await rest.done;
    };
    startWorker(); // takes img-1, queued by the first case
    const waits = [1, 2, 3].map(() => producer.waitFor('make-thumbnails', { imageId: 'img-1' }, 5000));
    expect(await Promise.all(waits)).toEqual(['done', 'done', 'done']);
    // Woken by the event: well before the next re-read of the job's state (every 500 ms) could have seen it.
    expect(Date.now() - unblockedAt).toBeLessThan(300);
    expect(await (await queue.getJob('make-thumbnails-img-1'))!.getState()).toBe('active');
    rest.release();
    await until('the job completed', async () => (await queue.getCompletedCount()) === 1);
    expect(await producer.waitFor('make-thumbnails', { imageId: 'img-1' }, 5000)).toBe('done'); // at once
  });

  it('ends the wait when an attempt fails (the retry is seconds away)', async () => {
    handle = async () => {
      await new Promise((r) => setTimeout(r, 200));
      throw new Error('no original');
    };
    await producer.enqueue('make-thumbnails', { imageId: 'img-3' });
    const started = Date.now();
    expect(await producer.waitFor('make-thumbnails', { imageId: 'img-3' }, 5000)).toBe('done');
    expect(Date.now() - started).toBeLessThan(450); // the 'delayed' event, before the state's next re-read
    expect(await (await queue.getJob('make-thumbnails-img-3'))!.getState()).toBe('delayed');
  });
});
