import { InProcessJobQueue, JobQueueFullError, MAX_PENDING_JOBS } from './job-queue.js';

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
