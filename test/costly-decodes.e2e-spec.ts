import http from 'node:http';
import sharp from 'sharp';
import { MAX_JPEG_SCANS } from '../src/media/jpeg-scans.js';
import { withRepeatedScans } from '../src/media/jpeg-scans.spec.js';
import { ImageProcessor, MAX_ASPECT_RATIO } from '../src/media/image-processor.js';
import { bootApp, type TestApp } from './support/app.js';

/** Issue 16, item 3: files that are small but cost the decoder a lot are refused from their headers. */
describe('costly decodes refused before decoding', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await bootApp();
    token = await t.login('dora', { tier: 'Premium' });
  });
  afterAll(() => t?.close());

  const upload = (data: Buffer, name: string) =>
    t.http().post('/api/images').auth(token, { type: 'bearer' }).attach('file', data, name);
  const progressive = () =>
    sharp({ create: { width: 320, height: 240, channels: 3, background: '#a52' } })
      .jpeg({ progressive: true, quality: 85 })
      .toBuffer();

  it(`refuses a progressive JPEG with more than ${MAX_JPEG_SCANS} scans (generated here: 3,000 repeated scans)`, async () => {
    const bomb = withRepeatedScans(await progressive(), 3000);
    const started = Date.now();
    const res = await upload(bomb, 'bomb.jpg').expect(400);
    expect(res.body.message).toMatch(/more than 100 scans/);
    expect(Date.now() - started).toBeLessThan(5000); // never decoded
    expect(await t.dataSource.query(`SELECT id FROM images`)).toEqual([]);
    // A standard progressive JPEG is taken.
    await upload(await progressive(), 'ok.jpg').expect(201);
  });

  it(`refuses images whose sides differ by more than ${MAX_ASPECT_RATIO}×, either way; takes ${MAX_ASPECT_RATIO}×`, async () => {
    const png = (width: number, height: number) =>
      sharp({ create: { width, height, channels: 3, background: '#123' } })
        .png()
        .toBuffer();
    for (const [w, h] of [
      [1, MAX_ASPECT_RATIO + 1],
      [(MAX_ASPECT_RATIO + 1) * 2, 2],
    ]) {
      const res = await upload(await png(w, h), 'thin.png').expect(400);
      expect(res.body.message).toMatch(/too narrow/);
    }
    await upload(await png(MAX_ASPECT_RATIO * 2, 2), 'wide.png').expect(201);
  });
});

describe('an upload slot lasts as long as its decode', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    // One upload in progress per user and none waiting: a second one is refused while the slot is held.
    t = await bootApp({ env: { MAX_UPLOADS_PER_USER: '1', UPLOAD_QUEUE_PER_USER: '0' } });
    token = await t.login('slot', { tier: 'Premium' });
  });
  afterAll(() => t?.close());

  /** Sends a whole multipart upload, then drops the connection without waiting for the answer. */
  function sendAndLeave(data: Buffer): Promise<void> {
    const url = new URL(t.baseUrl);
    const boundary = 'leave-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`,
    );
    const body = Buffer.concat([head, data, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: '/api/images',
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': body.length,
        },
      });
      req.on('error', () => resolve());
      // Leave once the server decodes it (on a busy machine a fixed delay could leave while the body was still
      // being read, which frees the slot at once).
      const gate = t.app.get(ImageProcessor).gate;
      const leaveWhenDecoding = (tries = 0): void => {
        if (gate.active.count > 0 || tries > 1000) return void (req.destroy(), resolve());
        setTimeout(() => leaveWhenDecoding(tries + 1), 10);
      };
      req.end(body, () => leaveWhenDecoding());
      req.on('response', () => reject(new Error('answered before the client left: the decode was too quick')));
    });
  }

  it('refuses a second upload while the first one, abandoned by its client, is still decoding', async () => {
    // Cheap to send, slow to decode: 7000×7000 of one colour is a small PNG and 147 MB of samples.
    const big = await sharp({ create: { width: 7000, height: 7000, channels: 3, background: '#0a0' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    const small = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#00a' } })
      .png()
      .toBuffer();
    await sendAndLeave(big);
    const second = await t.http().post('/api/images').auth(token, { type: 'bearer' }).attach('file', small, 's.png');
    expect(second.status).toBe(429);
    // Once the decode is over, the slot is free again.
    let status = 429;
    for (let i = 0; i < 120 && status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await t.http().post('/api/images').auth(token, { type: 'bearer' }).attach('file', small, 's.png'))
        .status;
    }
    expect(status).toBe(201);
  });
});
