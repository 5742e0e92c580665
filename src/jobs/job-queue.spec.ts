import { InProcessJobQueue, JobQueueFullError, keyedJobId, MAX_PENDING_JOBS, type RunningJob } from './job-queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('InProcessJobQueue', () => {
  it('runs what it was given, and refuses beyond MAX_PENDING_JOBS waiting jobs until they drain', async () => {
    const queue = new InProcessJobQueue();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ran: string[] = [];
    queue.register('make-background-formats', async ({ imageId }) => {
      ran.push(imageId);
      await held;
    });
    for (let i = 0; i < MAX_PENDING_JOBS; i++) await queue.enqueue('make-background-formats', { imageId: `${i}` });
    await expect(queue.enqueue('make-background-formats', { imageId: 'one too many' })).rejects.toBeInstanceOf(
      JobQueueFullError,
    );
    release();
    await queue.drain();
    expect(ran).toHaveLength(MAX_PENDING_JOBS);
    expect(ran).not.toContain('one too many');
    await queue.enqueue('make-background-formats', { imageId: 'later' });
    await queue.drain();
    expect(ran.at(-1)).toBe('later');
  });
});

describe('InProcessJobQueue.waitFor', () => {
  let queue: InProcessJobQueue | undefined;
  afterEach(() => queue?.beforeApplicationShutdown());

  it('keys the upload’s job by image (no ":" for BullMQ), and no background job', () => {
    expect(keyedJobId('make-thumbnails', { imageId: 'a1' })).toBe('make-thumbnails-a1');
    expect(keyedJobId('make-background-formats', { imageId: 'a1' })).toBeUndefined();
  });

  it('is "absent" at once when no such job is queued or running', async () => {
    queue = new InProcessJobQueue();
    queue.register('make-background-formats', () => new Promise((resolve) => setTimeout(resolve, 50)));
    await queue.enqueue('make-background-formats', { imageId: 'a1' }); // not keyed: never waited for
    expect(await queue.waitFor('make-thumbnails', { imageId: 'a1' }, 1000)).toBe('absent');
    expect(await queue.waitFor('make-background-formats', { imageId: 'a1' }, 1000)).toBe('absent');
  });

  it('waits for a running job until it unblocks its waiters, and runs one job per key at a time', async () => {
    queue = new InProcessJobQueue();
    let running!: RunningJob;
    let finish!: () => void;
    let runs = 0;
    queue.register('make-thumbnails', (_payload, job) => {
      runs++;
      running = job;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    await queue.enqueue('make-thumbnails', { imageId: 'a1' });
    await queue.enqueue('make-thumbnails', { imageId: 'a1' }); // already queued: ignored
    await tick();
    let outcome: string | undefined;
    const wait = queue.waitFor('make-thumbnails', { imageId: 'a1' }, 5000).then((o) => (outcome = o));
    await tick();
    expect(outcome).toBeUndefined();
    await running.unblockWaiters();
    await wait;
    expect(outcome).toBe('done');
    finish();
    await queue.drain();
    expect(runs).toBe(1);
    expect(await queue.waitFor('make-thumbnails', { imageId: 'a1' }, 1000)).toBe('absent');
  });

  it('gives up after `ms`, and a job that ends without unblocking ends the wait too', async () => {
    queue = new InProcessJobQueue();
    let finish!: () => void;
    queue.register('make-thumbnails', () => new Promise<void>((resolve) => (finish = resolve)));
    await queue.enqueue('make-thumbnails', { imageId: 'a1' });
    await tick();
    expect(await queue.waitFor('make-thumbnails', { imageId: 'a1' }, 20)).toBe('timeout');
    const wait = queue.waitFor('make-thumbnails', { imageId: 'a1' }, 5000);
    finish();
    expect(await wait).toBe('done');
  });
});
