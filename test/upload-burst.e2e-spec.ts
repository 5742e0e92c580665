import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Metrics } from '../src/observability/metrics.js';
import { bootApp, type TestApp } from './support/app.js';
import * as fixtures from './support/images.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a burst of uploads from one user', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp(); // the defaults: 8 in progress per user, 64 waiting, 60 s
  });
  afterAll(() => t.close());

  it('ends 40 parallel uploads all in 201: beyond the bound of 8 they wait instead of 429', async () => {
    const token = await t.login('bursty');
    const png = await fixtures.png(24, 24);
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () =>
        t
          .http()
          .post('/api/images')
          .auth(token, { type: 'bearer' })
          .attach('file', png, { filename: 'a.png', contentType: 'image/png' })
          .then((r) => r.status),
      ),
    );
    expect(statuses).toEqual(Array.from({ length: 40 }, () => 201));
    const page = await t.http().get('/api/images?limit=100').auth(token, { type: 'bearer' }).expect(200);
    expect(page.body.items).toHaveLength(40);
  }, 180_000);
});

describe('the per-user upload queue is bounded', () => {
  let t: TestApp;
  const spoolFiles = () => readdirSync(join(t.config.dataDir, 'uploads'));
  beforeAll(async () => {
    t = await bootApp({ env: { MAX_UPLOADS_PER_USER: '1', UPLOAD_QUEUE_PER_USER: '1', UPLOAD_QUEUE_WAIT: '2' } });
  });
  afterAll(() => t.close());

  it('lets one wait with its body unread, refuses the next at once and the waiter after the wait, with Retry-After', async () => {
    const token = await t.login('queued');
    const png = await fixtures.png(24, 24);
    const post = () =>
      t
        .http()
        .post('/api/images')
        .auth(token, { type: 'bearer' })
        .attach('file', png, { filename: 'a.png', contentType: 'image/png' });

    // An upload in progress holds the user's one slot: its body arrives slowly (a spool file is open).
    const { port } = new URL(t.baseUrl);
    const holder = connect(Number(port), '127.0.0.1');
    holder.on('error', () => undefined);
    await once(holder, 'connect');
    holder.write(
      `POST /api/images HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: multipart/form-data; boundary=XB\r\nContent-Length: 100000\r\n\r\n` +
        '--XB\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n',
    );
    holder.write(png.subarray(0, 16));
    for (let i = 0; spoolFiles().length === 0; i++) {
      if (i > 400) throw new Error('the holding upload never started');
      await sleep(50);
    }

    const started = Date.now();
    const waiting = post().then((r) => r);
    await sleep(300);
    const refused = await post().expect(429);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body.message).toBe('Too many uploads waiting for this user; try again in 5 s');
    expect(spoolFiles()).toHaveLength(1); // the waiting upload's body is not read: no temp file

    const waited = await waiting;
    expect(waited.status).toBe(429);
    expect(waited.headers['retry-after']).toBe('5');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const metric = await t.app.get(Metrics).uploadRefusals.get();
    expect(metric.values.find((v) => v.labels.limit === 'burst_queue')?.value).toBe(2);

    // The holder goes away: its slot is free again.
    holder.destroy();
    for (let i = 0; spoolFiles().length > 0; i++) {
      if (i > 400) throw new Error('the holder’s spool file stayed');
      await sleep(50);
    }
    await post().expect(201);
  });
});
