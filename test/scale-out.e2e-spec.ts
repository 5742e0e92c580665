import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import {
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
  createServer,
} from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import sharp from 'sharp';
import { JOB_WAIT_MS } from '../src/images/thumbnail-work.js';
import { QUEUE_NAME } from '../src/jobs/bullmq-job-queue.js';
import { freePort, TEST_JWT_SECRET, TEST_LINK_SECRET } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { jpeg } from './support/images.js';
import { childEnv, runNode, ServerProcess } from './support/process.js';
import { startS3, type TestS3 } from './support/s3.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** What a worker's make-thumbnails job leaves in the bucket: each height in the original's format, WebP and AVIF. */
const MADE = ['h200', 'h200.avif', 'h200.webp', 'h400', 'h400.avif', 'h400.webp', 'original'];
const JOB_LOCK_MS = 2000;

type Match = (req: IncomingMessage) => boolean;
/** The worker's download of an original (the first thing its job does). */
const ORIGINAL_GET: Match = (req) => req.method === 'GET' && /\/original(\?|$)/.test(req.url ?? '');
/** The worker's writes of AVIF thumbnails (the last thing its job does, after the original's format and WebP). */
const AVIF_PUT: Match = (req) => req.method === 'PUT' && /\/h\d+\.avif(\?|$)/.test(req.url ?? '');

/**
 * An HTTP proxy in front of the S3 server for the worker, which can hold the worker's requests (by default its
 * download of an original): the worker is then inside a job, for as long as the test wants.
 */
class HoldingProxy {
  private server!: Server;
  private held: Array<{ req: IncomingMessage; forward: () => void }> = [];
  private holding?: Match;
  endpoint = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const forward = () => this.forward(req, res);
      if (this.holding?.(req)) this.held.push({ req, forward });
      else forward();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(this.target);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  hold(match: Match = ORIGINAL_GET): void {
    this.holding = match;
  }

  /** Holds what `match` matches from now on and lets the other held requests through. */
  holdOnly(match: Match): void {
    this.holding = match;
    const [still, go] = [this.held.filter((h) => match(h.req)), this.held.filter((h) => !match(h.req))];
    this.held = still;
    for (const h of go) h.forward();
  }

  async heldCount(n: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.held.length < n) {
      if (Date.now() > deadline) throw new Error(`the worker did not make ${n} held requests within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Lets the held requests through (those of a killed worker go nowhere) and stops holding. */
  release(): void {
    this.holding = undefined;
    for (const { forward } of this.held.splice(0)) forward();
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Scale-out as it runs in production: two API processes and worker processes (`node dist/...`) on one
 * PostgreSQL database, the machine's Redis (a queue prefix of this run's own) and one S3 bucket (s3rver).
 * Redis or the S3 server missing makes this fail, not skip.
 */
describe('two API processes and a worker on one database, one Redis and one bucket', () => {
  let s3: TestS3;
  let proxy: HoldingProxy;
  let db: TestDatabase;
  let s3client: S3Client;
  let queue: Queue;
  let queueConnection: Redis;
  const prefix = `image-api-test-${randomBytes(6).toString('hex')}`;
  const dirs: string[] = [];
  const apis: Array<{ process: ServerProcess; url: string; metrics: string }> = [];
  const workers: ServerProcess[] = [];
  let token: string;

  const envFor = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const dataDir = mkdtempSync(join(tmpdir(), 'image-api-scale-'));
    dirs.push(dataDir);
    return {
      ...childEnv({}),
      LOG_LEVEL: 'log',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      LINK_SECRET: TEST_LINK_SECRET,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      JOB_LOCK_MS: String(JOB_LOCK_MS),
      ...s3.env,
      ...extra,
    };
  };
  const startApi = async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const api = new ServerProcess(envFor({ PORT: String(port), PUBLIC_URL: url, METRICS_PORT: String(metricsPort) }));
    apis.push({ process: api, url, metrics: `http://127.0.0.1:${metricsPort}/metrics` });
    await api.ready(url);
    return url;
  };
  /** A worker whose S3 traffic goes through the holding proxy. */
  const startWorker = async () => {
    const worker = new ServerProcess(envFor({ S3_ENDPOINT: proxy.endpoint }), 'dist/worker/main.js');
    workers.push(worker);
    await worker.waitForOutput(/Worker ready/);
    return worker;
  };
  const objectsOf = async (imageId: string) => {
    const out = await s3client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `images/${imageId}/` }));
    return (out.Contents ?? []).map((o) => o.Key!.split('/')[2]).sort();
  };
  const until = async <T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (ok(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const upload = async (base: string, data: Buffer) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(data)], { type: 'image/jpeg' }), 'photo.jpg');
    const res = await fetch(`${base}/api/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(res.status).toBe(201);
    return (await res.json()) as {
      id: string;
      links: { original: string; thumbnails: Array<{ height: number; url: string }> };
    };
  };
  /** How many pieces of thumbnail work (each one decode of an original) an API process has done. */
  const decodesOn = async (api: { metrics: string }) => {
    const text = await (await fetch(api.metrics)).text();
    const count = /^image_api_thumbnail_duration_seconds_count (\d+)$/m.exec(text)?.[1];
    if (count === undefined) throw new Error(`no thumbnail work count in:\n${text}`);
    return Number(count);
  };
  /** The same link path on another instance. */
  const on = (base: string, link: string) => `${base}${new URL(link).pathname}`;
  /**
   * Waits until a link answers `status` on an instance: a change made elsewhere reaches it through NOTIFY, a few
   * milliseconds after its commit (README), and the test may ask before that.
   */
  const answers = (status: number, base: string, link: string) =>
    until(
      `${new URL(link).pathname} on ${base}`,
      () => fetch(on(base, link)).then((r) => r.status),
      (s) => s === status,
      5000,
    );
  /** The ids on an instance's first list page (kept in memory there: README, "The first page is kept in memory"). */
  const listed = async (base: string) => {
    const res = await fetch(`${base}/api/images`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: Array<{ id: string }> }).items.map((i) => i.id);
  };
  /** Waits until an instance's first list page has `id` (or, with `present` false, has it no more). */
  const lists = (base: string, id: string, present = true) =>
    until(
      `${id} listed on ${base}`,
      () => listed(base),
      (ids) => ids.includes(id) === present,
      5000,
    );
  const sql = async (text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(text, values);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    // Fail, not skip, without Redis: a connection that refuses to retry reports the problem at once.
    const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await probe.connect().catch((error: unknown) => {
      throw new Error(`This test needs Redis at ${REDIS_URL}: ${String(error)}`);
    });
    await probe.quit();
    s3 = await startS3();
    proxy = new HoldingProxy(s3.endpoint);
    await proxy.start();
    s3client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    queueConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue(QUEUE_NAME, { connection: queueConnection, prefix });
    db = await createTestDatabase();

    // All three start together on the fresh database (migrations run under an advisory lock).
    await Promise.all([startApi(), startApi(), startWorker()]);
    const cli = await runNode(
      'dist/cli/main.js',
      ['create-user', 'ann', '--password', 'ann-password', '--tier', 'Enterprise'],
      envFor({}),
    );
    expect(cli).toMatchObject({ code: 0 });
    const res = await fetch(`${apis[0]!.url}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ann', password: 'ann-password' }),
    });
    token = ((await res.json()) as { accessToken: string }).accessToken;
  }, 90_000);

  afterAll(async () => {
    proxy?.release();
    await Promise.all([...apis.map((a) => a.process.stop('SIGTERM')), ...workers.map((w) => w.stop('SIGKILL'))]);
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    queueConnection?.disconnect();
    s3client?.destroy();
    await proxy?.close();
    await s3?.close();
    await db?.drop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('uploads on API 1, the worker makes the thumbnails, API 2 lists and serves them; tier edits, revocations and deletes apply on both', async () => {
    const [one, two] = [apis[0]!.url, apis[1]!.url];
    const original = await jpeg(900, 600);
    const before = await listed(two); // now API 2 keeps this first page
    const image = await upload(one, original);
    // Listed at once where it was uploaded, and on API 2 once the notification is in.
    expect(await listed(one)).toEqual([image.id, ...before]);
    await lists(two, image.id);

    // The worker makes them: they are in the bucket before any link was requested, and its log says so.
    expect(
      await until(
        'thumbnails in the bucket',
        () => objectsOf(image.id),
        (k) => k.length === MADE.length,
      ),
    ).toEqual(MADE);
    await workers[0]!.waitForOutput(new RegExp(`Job make-thumbnails \\{"imageId":"${image.id}"\\} done`));
    for (const api of apis) expect(api.process.output).not.toMatch(/Job make-thumbnails .* done/);

    // API 2 serves what API 1 stored, streamed from the bucket with its length.
    const originalRes = await fetch(on(two, image.links.original));
    expect(originalRes.status).toBe(200);
    expect(originalRes.headers.get('content-length')).toBe(String(original.length));
    expect(Buffer.from(await originalRes.arrayBuffer()).equals(original)).toBe(true);
    const thumb = await fetch(on(two, image.links.thumbnails[1]!.url));
    expect(thumb.status).toBe(200);
    expect(await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).toMatchObject({ height: 400, width: 600 });

    // A tier edit (plain SQL: the triggers notify every instance) applies on both at once.
    await sql(`UPDATE tiers SET "originalLink" = false WHERE name = 'Enterprise'`);
    for (const base of [one, two]) await answers(403, base, image.links.original);
    await sql(`UPDATE tiers SET "originalLink" = true WHERE name = 'Enterprise'`);
    for (const base of [one, two]) await answers(200, base, image.links.original);

    // An expiring link made on API 1 works on API 2; revoked (plain SQL), both answer 410 once the notification
    // is in.
    const made = await fetch(`${one}/api/images/${image.id}/expiring-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ expiresIn: 300, variant: '200' }),
    });
    expect(made.status).toBe(201);
    const link = (await made.json()) as { id: string; url: string };
    expect((await fetch(on(two, link.url))).status).toBe(200);
    await sql(`UPDATE expiring_links SET "revokedAt" = now() WHERE id = $1`, [link.id]);
    for (const base of [one, two]) await answers(410, base, link.url);

    // Deleted on API 2: the bucket prefix is empty and API 1 answers 404 once the notification is in (its lookup
    // cache knew the image, its memory held the thumbnail).
    const deleted = await fetch(`${two}/api/images/${image.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(deleted.status).toBe(204);
    expect(await objectsOf(image.id)).toEqual([]);
    for (const url of [image.links.thumbnails[0]!.url, image.links.original]) await answers(404, one, url);
    expect(await listed(two)).not.toContain(image.id);
    await lists(one, image.id, false);
    const get = await fetch(`${one}/api/images/${image.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(404);
  });

  it('reports Redis, the workers and the failed jobs in health; a job that fails is kept', async () => {
    await queue.add('no-such-job', {}, { attempts: 1, removeOnFail: false });
    const health = await until(
      'a failed job counted',
      async () =>
        (await fetch(`${apis[1]!.url}/api/health`)).json() as Promise<{ info: { redis?: { failed: number } } }>,
      (h) => (h.info.redis?.failed ?? 0) >= 1,
    );
    expect(health).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, storage: { status: 'up' }, redis: { status: 'up', failed: 1, workers: 1 } },
    });
    const [failed] = await queue.getFailed();
    expect(failed).toMatchObject({ name: 'no-such-job', failedReason: 'No handler for job no-such-job' });
  });

  it('a GET on another API while the worker makes that thumbnail waits for the worker’s, and decodes nothing', async () => {
    const [one, two] = [apis[0]!, apis[1]!];
    const worker = workers[0]!;
    const before = await decodesOn(two);
    proxy.hold((req) => ORIGINAL_GET(req) || AVIF_PUT(req));
    const image = await upload(one.url, await jpeg(640, 480));
    await proxy.heldCount(1); // the job is active: the worker is downloading the original

    const get = fetch(on(two.url, image.links.thumbnails[0]!.url)).then((res) => ({ res, at: Date.now() }));
    await new Promise((r) => setTimeout(r, 1000)); // the request is in, and the worker still held
    // The worker decodes, stores JPEG and WebP, then is held again writing its AVIF: its job is still active.
    const released = Date.now();
    proxy.holdOnly(AVIF_PUT);
    const { res, at } = await get;
    expect(res.status).toBe(200);
    expect(at).toBeGreaterThanOrEqual(released); // it waited for the worker
    expect(await sharp(Buffer.from(await res.arrayBuffer())).metadata()).toMatchObject({ height: 200, width: 267 });
    expect(await decodesOn(two)).toBe(before); // served what the worker made: API 2 decoded nothing
    expect(worker.output).not.toMatch(new RegExp(`${image.id}"\\} done`)); // answered before the AVIF part

    proxy.release();
    await worker.waitForOutput(new RegExp(`Job make-thumbnails \\{"imageId":"${image.id}"\\} done`));
    expect(await objectsOf(image.id)).toEqual(MADE);
  });

  it('SIGTERM: the worker takes no new job, finishes the running one, exits 0', async () => {
    const worker = workers[0]!;
    proxy.hold();
    const running = await upload(apis[0]!.url, await jpeg(640, 480));
    await proxy.heldCount(1); // the worker is inside the job, downloading the original
    const exited = worker.stop('SIGTERM');
    await worker.waitForOutput(/SIGTERM: finishing running jobs/);
    const waiting = await upload(apis[1]!.url, await jpeg(320, 240)); // after SIGTERM: must stay queued
    expect(worker.child.exitCode).toBeNull(); // still busy with the running job
    proxy.release();
    expect(await exited).toBe(0);
    expect(await objectsOf(running.id)).toEqual(MADE);
    expect(await objectsOf(waiting.id)).toEqual(['original']);
    expect(worker.output).not.toContain(waiting.id);
    expect(await queue.getWaitingCount()).toBe(1);

    const next = await startWorker();
    expect(
      await until(
        'thumbnails made by the next worker',
        () => objectsOf(waiting.id),
        (k) => k.length === MADE.length,
      ),
    ).toEqual(MADE);
    await next.waitForOutput(new RegExp(`${waiting.id}"\\} done`));
  });

  it('SIGKILL: the killed worker’s job is taken up again', async () => {
    const victim = workers[workers.length - 1]!;
    proxy.hold();
    const image = await upload(apis[0]!.url, await jpeg(640, 480));
    await proxy.heldCount(1);
    expect(await victim.stop('SIGKILL')).toBeNull();
    proxy.release(); // the dead worker's download goes nowhere
    expect(await objectsOf(image.id)).toEqual(['original']);

    const rescuer = await startWorker();
    // The job keeps the dead worker's lock for JOB_LOCK_MS, then the stalled-job check puts it back.
    expect(
      await until(
        'thumbnails after the stall',
        () => objectsOf(image.id),
        (k) => k.length === MADE.length,
        30_000,
      ),
    ).toEqual(MADE);
    await rescuer.waitForOutput(new RegExp(`${image.id}"\\} done`));
    expect(await queue.getFailedCount()).toBe(1); // only the 'no-such-job' of the health test
  });

  it('with no worker running, a GET waits JOB_WAIT_MS for the queued job, then makes the thumbnail itself', async () => {
    for (const worker of workers) await worker.stop('SIGTERM');
    const two = apis[1]!;
    const before = await decodesOn(two);
    const image = await upload(apis[0]!.url, await jpeg(640, 480));
    const asked = Date.now();
    const res = await fetch(on(two.url, image.links.thumbnails[0]!.url));
    const waited = Date.now() - asked;
    expect(res.status).toBe(200);
    expect(await sharp(Buffer.from(await res.arrayBuffer())).metadata()).toMatchObject({ height: 200 });
    expect(waited).toBeGreaterThanOrEqual(JOB_WAIT_MS - 100);
    expect(waited).toBeLessThan(JOB_WAIT_MS + 5000);
    expect(await decodesOn(two)).toBe(before + 1);
    expect(two.process.output).toContain(`Job make-thumbnails-${image.id} still waiting after ${JOB_WAIT_MS} ms`);
    expect(await objectsOf(image.id)).toEqual(['h200', 'h200.webp', 'original']);
  });
});
