import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeBudget } from '../src/media/image-processor.js';
import { freePort } from './support/app.js';
import { childEnv, npmScriptLaunch, runNode, ServerProcess } from './support/process.js';

/** Peak resident memory of a process so far (VmHWM), in bytes. */
const peakRss = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const GiB = 1024 ** 3;

/**
 * Issue 10, item 4: decoding cost is bounded by bytes, not only pixels. A real server process (as `npm start`
 * runs it) takes batches of small files that are expensive to decode (16-bit, interlaced PNGs), eight at once,
 * and its peak resident memory stays under 1 GiB. A memory bound, not a timing assertion.
 */
describe('costly decodes against a server process', () => {
  let dataDir: string;
  let baseUrl: string;
  let server: ServerProcess;
  let auth: { authorization: string };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'image-api-decode-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    // glibc's settings and node's flags as `npm start` (and so the Docker image: see docker-compose.e2e-spec) set them.
    const start = npmScriptLaunch('start');
    const env = childEnv({ DATA_DIR: dataDir, PORT: String(port), ...start.env });
    server = new ServerProcess(env, start.script, start.flags);
    await server.ready(baseUrl);
    const created = await runNode(
      'dist/cli/main.js',
      ['create-user', 'eve', '--password', 'eve-password', '--tier', 'Premium'],
      env,
    );
    expect(created.code).toBe(0);
    const res = await fetch(`${baseUrl}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'eve', password: 'eve-password' }),
    });
    auth = { authorization: `Bearer ${((await res.json()) as { accessToken: string }).accessToken}` };
  }, 120_000);

  afterAll(async () => {
    await server?.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const upload = async (data: Buffer) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(data)]), 'deep.png');
    const res = await fetch(`${baseUrl}/api/images`, { method: 'POST', headers: auth, body: form });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** A flat 16-bit RGB PNG, Adam7-interlaced: a few hundred KB that decode to width × height × 6 bytes. */
  const deepInterlacedPng = (size: number) =>
    sharp({ create: { width: size, height: size, channels: 3, background: '#5a7' } })
      .toColourspace('rgb16')
      .png({ progressive: true, compressionLevel: 9 })
      .toBuffer();

  it('refuses eight concurrent 6000×6000 16-bit interlaced PNGs from their headers (400), peak RSS under 1 GiB', async () => {
    const png = await deepInterlacedPng(6000);
    expect(png.length).toBeLessThan(1024 * 1024);
    const results = await Promise.all(Array.from({ length: 8 }, () => upload(png)));
    for (const { status, body } of results) {
      expect(status).toBe(400);
      expect(body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringContaining(
          '(3 channels of 16 bits, interlaced) needs 216 MB to decode; the limit is 200 MB',
        ),
      });
    }
    expect(peakRss(server.child.pid!)).toBeLessThan(GiB);
  }, 120_000);

  it('takes eight concurrent 5000×5000 16-bit interlaced PNGs (150 MB each to decode) within one decode budget at a time', async () => {
    const kept = await upload(
      await sharp({ create: { width: 600, height: 400, channels: 3, background: '#123' } })
        .png()
        .toBuffer(),
    );
    expect(kept.status).toBe(201);
    const thumbnail = (kept.body.links as { thumbnails: Array<{ url: string }> }).thumbnails[0].url;

    const png = await deepInterlacedPng(5000);
    const before = peakRss(server.child.pid!);
    const batch = Promise.all(Array.from({ length: 8 }, () => upload(png)));
    // A kept thumbnail is served meanwhile: the serving path does not queue behind the decodes.
    const served = await fetch(thumbnail);
    expect(served.status).toBe(200);
    await served.arrayBuffer();
    const results = await batch;
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    for (const { body } of results) expect(body).toMatchObject({ format: 'png', width: 5000, height: 5000 });
    const made = await fetch((results[0].body.links as { thumbnails: Array<{ url: string }> }).thumbnails[1].url);
    expect(made.status).toBe(200);
    expect(await sharp(Buffer.from(await made.arrayBuffer())).metadata()).toMatchObject({ width: 400, height: 400 });
    const peak = peakRss(server.child.pid!);
    expect(peak).toBeLessThan(GiB);
    // The gate lets decodes hold one budget (MAX_INPUT_PIXELS × 4 = 200 MB) at once: the batch raised the peak by
    // less than two budgets (about 190 MB measured; eight decodes at once took about 620 MB).
    expect(peak - before).toBeLessThan(2 * decodeBudget(50_000_000));
  }, 180_000);
});
