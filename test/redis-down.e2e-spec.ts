import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import sharp from 'sharp';
import { QUEUE_NAME } from '../src/jobs/bullmq-job-queue.js';
import { bootApp, freePort, type TestApp } from './support/app.js';
import { jpeg } from './support/images.js';

/** A TCP proxy to the machine's Redis that the test can cut (every connection dropped, port closed) and restore. */
class RedisLine {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(6379, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server!.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

type Health = { status: string; info: Record<string, { status: string }>; error: Record<string, unknown> };

/**
 * With REDIS_URL, an API whose Redis goes away keeps answering uploads with 201 (the thumbnail job is not
 * queued; the first request for a thumbnail makes it), and /api/health reports Redis down without a 503.
 */
describe('Redis goes away under a running API', () => {
  let t: TestApp;
  let line: RedisLine;
  let queue: Queue;
  let queueConnection: Redis;
  let token: string;
  const prefix = `image-api-test-${randomBytes(6).toString('hex')}`;

  const health = async () => (await t.http().get('/api/health').expect(200)).body as Health;
  const upload = async () =>
    (
      await t
        .http()
        .post('/api/images')
        .set('authorization', `Bearer ${token}`)
        .attach('file', await jpeg(600, 400), 'photo.jpg')
        .expect(201)
    ).body as { id: string; links: { thumbnails: Array<{ height: number; url: string }> } };
  const until = async (probe: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 15_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within 15 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    line = new RedisLine(await freePort());
    await line.open();
    queueConnection = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    queue = new Queue(QUEUE_NAME, { connection: queueConnection, prefix });
    t = await bootApp({ env: { REDIS_URL: `redis://127.0.0.1:${line.port}`, QUEUE_PREFIX: prefix } });
    token = await t.login('rita', { tier: 'Premium' });
    await until(async () => (await health()).info.redis?.status === 'up', 'Redis up in health');
  });

  afterAll(async () => {
    await t?.close();
    await line?.cut().catch(() => undefined);
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    queueConnection?.disconnect();
  });

  it('queues the thumbnail job while Redis is there (and does not run it: workers do)', async () => {
    const image = await upload();
    const [job] = await queue.getWaiting();
    expect(job).toMatchObject({ name: 'make-thumbnails', data: { imageId: image.id } });
    expect(await queue.getWaitingCount()).toBe(1);
  });

  it('answers uploads with 201 once Redis is gone, reports it down in health, and makes thumbnails on request', async () => {
    await line.cut();
    const down = await health();
    expect(down).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, storage: { status: 'up' } },
      error: { redis: { status: 'down' } },
    });

    const image = await upload();
    expect(await queue.getWaitingCount()).toBe(1); // the first upload's job only: this one was not queued
    const thumbnail = await t.http().get(new URL(image.links.thumbnails[0]!.url).pathname).expect(200);
    expect(await sharp(thumbnail.body as Buffer).metadata()).toMatchObject({ height: 200 });
  });

  it('queues again when Redis is back', async () => {
    await line.open();
    await until(async () => (await health()).info.redis?.status === 'up', 'Redis back in health');
    const image = await upload();
    expect((await queue.getWaiting()).map((job) => job.data as { imageId: string })).toContainEqual({
      imageId: image.id,
    });
  });
});

describe('an API started while Redis is unreachable', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  it('starts, answers uploads with 201, and reports Redis down in health', async () => {
    const closedPort = await freePort(); // nothing listens there
    t = await bootApp({ env: { REDIS_URL: `redis://127.0.0.1:${closedPort}` } });
    const token = await t.login('sam');
    await t
      .http()
      .post('/api/images')
      .set('authorization', `Bearer ${token}`)
      .attach('file', await jpeg(300, 200), 'photo.jpg')
      .expect(201);
    const res = await t.http().get('/api/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', error: { redis: { status: 'down' } } });
    // Why it is down goes to the log, not to anonymous callers.
    expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|ECONN|not connected/);
  });
});
