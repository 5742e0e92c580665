import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { mediaSecurityHeaders, securityHeaders } from '../src/common/security-headers.js';
import { JobQueue } from '../src/jobs/job-queue.js';
import { MetricsEndpoint } from '../src/observability/observability.module.js';
import { bootApp, freePort, TEST_JWT_SECRET, TEST_LINK_SECRET, type TestApp } from './support/app.js';
import { createTestDatabase } from './support/database.js';
import * as fixtures from './support/images.js';
import { childEnv, ServerProcess } from './support/process.js';

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  method?: string;
  path?: string;
  status?: number;
  durationMs?: number;
  context?: string;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format → samples (enough of the format for what prom-client writes). */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value;
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('operations: request ids, request logs, metrics, security headers', () => {
  let t: TestApp;
  let premium: string;
  let enterprise: string;
  let metricsUrl: string;
  const lines: LogLine[] = [];
  const raw: string[] = [];

  beforeAll(async () => {
    t = await bootApp({
      env: { LOG_LEVEL: 'log', METRICS_PORT: '0' },
      logDestination: {
        write(chunk: string) {
          raw.push(chunk);
          lines.push(JSON.parse(chunk) as LogLine);
        },
      },
    });
    premium = await t.login('ops-premium', { tier: 'Premium' });
    enterprise = await t.login('ops-enterprise', { tier: 'Enterprise' });
    metricsUrl = `http://127.0.0.1:${t.app.get(MetricsEndpoint).port}/metrics`;
  });
  afterAll(() => t?.close());

  /** The request line with this id (written when the response has ended). */
  async function requestLine(requestId: string): Promise<LogLine> {
    for (let i = 0; i < 50; i++) {
      const line = lines.find((l) => l.requestId === requestId && l.status !== undefined);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no request line for ${requestId}`);
  }

  async function upload(token: string, data: Buffer) {
    const res = await t
      .http()
      .post('/api/images')
      .auth(token, { type: 'bearer' })
      .attach('file', data, { filename: 'x.png', contentType: 'image/png' });
    return res;
  }

  async function scrape(): Promise<Sample[]> {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  }

  describe('X-Request-Id', () => {
    it('echoes a short token from the client and logs it on the request line', async () => {
      const res = await t.http().get('/api/health').set('X-Request-Id', 'client-id_42').expect(200);
      expect(res.headers['x-request-id']).toBe('client-id_42');
      const line = await requestLine('client-id_42');
      expect(line).toMatchObject({ method: 'GET', path: '/api/health', status: 200 });
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
      expect(line.msg).toMatch(/^GET \/api\/health 200 [\d.]+ms$/);
    });

    it.each([
      ['spaces', 'not a token'],
      ['too long', 'a'.repeat(65)],
      ['other characters', 'id;drop'],
    ])('replaces a client id with %s by a generated one', async (_case, given) => {
      const res = await t.http().get('/api/health').set('X-Request-Id', given).expect(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
      await requestLine(res.headers['x-request-id']);
    });

    it('is on 404s, errors, bad JSON, /media, /api/docs and /admin responses, each logged', async () => {
      const responses = await Promise.all([
        t.http().get('/no/such/route').expect(404),
        t.http().get('/api/images').expect(401),
        t.http().post('/api/auth/token').set('content-type', 'application/json').send('{"broken').expect(400),
        t.http().get('/media/not-an-id/sig/200.jpg').expect(404),
        t.http().get('/api/docs').expect(200),
        t.http().get('/admin/login').expect(200),
      ]);
      for (const res of responses) {
        const id = res.headers['x-request-id'];
        expect(id).toMatch(UUID);
        const line = await requestLine(id);
        expect(line.status).toBe(res.status);
        expect(res.body).not.toHaveProperty('stack');
      }
    });
  });

  describe('request logs', () => {
    it('redact link signatures and expiring-link tokens, never log the bearer token', async () => {
      const image = (await upload(enterprise, await fixtures.png(300, 250))).body as {
        id: string;
        links: { thumbnails: Array<{ url: string }>; original: string };
      };
      const permanent = new URL(image.links.thumbnails[0].url).pathname;
      const signature = permanent.split('/')[3];
      const served = await t.http().get(permanent).set('X-Request-Id', 'media-permanent').expect(200);
      expect(served.headers['content-type']).toBe('image/png');

      const link = await t
        .http()
        .post(`/api/images/${image.id}/expiring-links`)
        .auth(enterprise, { type: 'bearer' })
        .send({ expiresIn: 300, variant: 'original' })
        .expect(201);
      const expiring = new URL((link.body as { url: string }).url).pathname;
      const token = expiring.split('/')[3];
      await t.http().get(expiring).set('X-Request-Id', 'media-expiring').expect(200);
      // Express matches routes case-insensitively: the redaction does too.
      await t.http().get(expiring.replace('/media/x/', '/MEDIA/x/')).set('X-Request-Id', 'media-upper').expect(200);

      expect((await requestLine('media-permanent')).path).toBe(`/media/${image.id}/[redacted]/200.png`);
      expect((await requestLine('media-expiring')).path).toBe('/media/x/[redacted]/original.png');
      expect((await requestLine('media-upper')).path).toBe('/MEDIA/x/[redacted]/original.png');
      const everything = raw.join('');
      expect(signature.length).toBeGreaterThan(10);
      expect(everything).not.toContain(signature);
      expect(everything).not.toContain(token);
      expect(everything).not.toContain(enterprise);
      expect(everything).not.toContain(premium);
    });

    it('route Nest’s own log calls through pino (JSON lines with a context)', () => {
      expect(lines.some((l) => l.context === 'RouterExplorer' || l.context === 'InstanceLoader')).toBe(true);
    });
  });

  describe('security headers', () => {
    const common = (headers: Record<string, string>) => {
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['x-powered-by']).toBeUndefined();
      expect(headers['x-frame-options']).toBe('DENY');
      expect(headers['strict-transport-security']).toBeUndefined(); // PUBLIC_URL is http here
    };

    it('JSON responses and 404s: nosniff, no framing, a CSP that loads nothing', async () => {
      for (const res of [
        await t.http().get('/api/health'),
        await t.http().get('/nope'),
        await t.http().get('/api/images'),
      ]) {
        common(res.headers);
        expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
        expect(res.headers['content-type']).toMatch(/^application\/json/);
      }
    });

    // What only steers a document: an image answer (200 or 304) carries none of it.
    const DOCUMENT_ONLY = [
      'x-frame-options',
      'cross-origin-opener-policy',
      'origin-agent-cluster',
      'referrer-policy',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
      'content-security-policy',
    ];

    it('/media: nosniff, embeddable by other sites, and none of the headers that only steer documents', async () => {
      const image = (await upload(premium, await fixtures.png(120, 90))).body as { links: { original: string } };
      const res = await t.http().get(new URL(image.links.original).pathname).expect(200);
      expect(res.headers).toMatchObject({
        'content-type': 'image/png',
        'cache-control': 'public, max-age=300',
        'cross-origin-resource-policy': 'cross-origin',
        'x-content-type-options': 'nosniff',
      });
      expect(res.headers.etag).toMatch(/^".+-original"$/);
      expect(Number(res.headers['content-length'])).toBe((res.body as Buffer).length);
      const notModified = await t
        .http()
        .get(new URL(image.links.original).pathname)
        .set('If-None-Match', res.headers.etag)
        .expect(304);
      expect(notModified.headers['x-content-type-options']).toBe('nosniff');
      for (const answer of [res, notModified]) {
        expect(answer.headers['x-powered-by']).toBeUndefined();
        expect(answer.headers['strict-transport-security']).toBeUndefined(); // PUBLIC_URL is http here
        for (const name of DOCUMENT_ONLY) expect(answer.headers[name]).toBeUndefined();
      }
    });

    it('/api/docs and /admin: a CSP with scripts from this origin, AdminJS’s inline scripts by nonce', async () => {
      const docs = await t.http().get('/api/docs').expect(200);
      common(docs.headers);
      const docsCsp = docs.headers['content-security-policy'];
      expect(docsCsp).toContain("frame-ancestors 'none'");
      expect(docsCsp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
      expect(docsCsp).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);

      const admin = await t.http().get('/admin/login').expect(200);
      common(admin.headers);
      const nonce = /'nonce-([^']+)'/.exec(admin.headers['content-security-policy'])![1];
      const html = admin.text;
      const inline = html.match(/<script(?![^>]*\bsrc=)[^>]*>/g) ?? [];
      expect(inline.length).toBeGreaterThan(0);
      for (const tag of inline) expect(tag).toBe(`<script nonce="${nonce}">`);
      // A fresh nonce per response.
      const again = await t.http().get('/admin/login').expect(200);
      expect(again.headers['content-security-policy']).not.toContain(nonce);
    });

    it('HSTS only when the public URL is https, on links too', async () => {
      const app = express();
      app.use(securityHeaders({ https: true }));
      app.get('/x', (_req, res) => res.json({}));
      const res = await request(app).get('/x').expect(200);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
      const media = (https: boolean) => {
        const list = mediaSecurityHeaders({ https });
        return Object.fromEntries(list.flatMap((_, i) => (i % 2 ? [] : [[list[i].toLowerCase(), list[i + 1]]])));
      };
      expect(media(true)).toEqual({
        'cross-origin-resource-policy': 'cross-origin',
        'strict-transport-security': 'max-age=31536000',
        'x-content-type-options': 'nosniff',
      });
      expect(media(false)).toEqual({
        'cross-origin-resource-policy': 'cross-origin',
        'x-content-type-options': 'nosniff',
      });
    });
  });

  describe('metrics', () => {
    it('serve Prometheus text on 127.0.0.1 only, never on the public port', async () => {
      const address = t.app.get(MetricsEndpoint).port;
      expect(address).toBeGreaterThan(0);
      await t.http().get('/metrics').expect(404);
      const res = await fetch(metricsUrl.replace('/metrics', '/other'));
      expect(res.status).toBe(404);
    });

    it('label requests by route template, count uploads, thumbnails and cache lookups', async () => {
      const stored = (await upload(premium, await fixtures.png(400, 300))).body as {
        id: string;
        links: { thumbnails: Array<{ url: string }> };
      };
      expect((await upload(premium, await fixtures.gif())).status).toBe(415);
      await t.app.get(JobQueue).drain();
      await t.http().get(`/api/images/${stored.id}`).auth(premium, { type: 'bearer' }).expect(200);
      const link = new URL(stored.links.thumbnails[0].url).pathname;
      await t.http().get(link).expect(200);
      await t.http().get(link).expect(200);
      await t.http().get(`/media/x/not-a-token/200.jpg`).expect(404);
      await t.http().get(`/images/${stored.id}`).expect(404);

      const samples = await scrape();
      const count = (name: string, labels: Record<string, string>) =>
        samples
          .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
          .reduce((sum, s) => sum + s.value, 0);
      const duration = 'image_api_http_request_duration_seconds_count';

      expect(count(duration, { method: 'GET', route: '/api/images/:id', status_class: '2xx' })).toBe(1);
      expect(
        count(duration, { method: 'GET', route: '/media/:id/:sig/:file', status_class: '2xx' }),
      ).toBeGreaterThanOrEqual(2);
      expect(
        count(duration, { method: 'GET', route: '/media/x/:token/:file', status_class: '4xx' }),
      ).toBeGreaterThanOrEqual(1);
      expect(count(duration, { method: 'GET', route: '(unmatched)', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
      expect(count(duration, { method: 'POST', route: '/api/images' })).toBeGreaterThanOrEqual(2);

      // No label carries an image id, a signature or a raw path.
      for (const s of samples) {
        for (const value of Object.values(s.labels)) {
          expect(value).not.toContain(stored.id);
          expect(value).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
        }
      }

      expect(count('image_api_uploads_total', { outcome: 'stored', status: '201' })).toBeGreaterThanOrEqual(1);
      expect(count('image_api_uploads_total', { outcome: 'rejected', status: '415' })).toBe(1);
      expect(count('image_api_thumbnails_made_total', {})).toBeGreaterThanOrEqual(2); // 200 and 400 px
      expect(count('image_api_thumbnail_duration_seconds_count', {})).toBeGreaterThanOrEqual(1);
      expect(count('image_api_cache_lookups_total', { cache: 'image_lookup', result: 'hit' })).toBeGreaterThanOrEqual(
        1,
      );
      expect(count('image_api_cache_lookups_total', { cache: 'grants', result: 'hit' })).toBeGreaterThanOrEqual(1);
      expect(count('image_api_cache_lookups_total', { cache: 'grants', result: 'miss' })).toBeGreaterThanOrEqual(1);
      expect(samples.some((s) => s.name === 'image_api_jobs_queued')).toBe(true);
      expect(count('image_api_jobs_queued', {})).toBe(0); // drained
      // The process's default metrics.
      expect(count('process_cpu_user_seconds_total', {})).toBeGreaterThan(0);
      expect(count('nodejs_heap_size_used_bytes', {})).toBeGreaterThan(0);
    });
  });
});

/** The real process: `node dist/main.js` writes JSON lines in production and readable lines in development. */
describe('log format of the server process', () => {
  const dataDirs: string[] = [];
  afterAll(() => {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  async function run(nodeEnv: 'production' | 'development') {
    const db = await createTestDatabase();
    const port = await freePort();
    const metricsPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'image-api-test-logs-'));
    dataDirs.push(dataDir);
    const env = {
      ...childEnv({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'log', METRICS_PORT: String(metricsPort) }),
      NODE_ENV: nodeEnv,
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      LINK_SECRET: TEST_LINK_SECRET,
    };
    const server = new ServerProcess(env);
    try {
      await server.ready(`http://127.0.0.1:${port}`);
      const res = await fetch(`http://127.0.0.1:${port}/no-such-page`, { headers: { 'x-request-id': 'process-line' } });
      expect(res.status).toBe(404);
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(await metrics.text()).toContain('image_api_http_request_duration_seconds_bucket');
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
      for (let i = 0; i < 50 && !server.output.includes('process-line'); i++)
        await new Promise((r) => setTimeout(r, 20));
    } finally {
      expect(await server.stop('SIGINT')).toBe(0);
      await db.drop();
    }
    return server.output.split('\n').filter(Boolean);
  }

  it('production: every line is JSON; the request line has id, method, path, status and duration', async () => {
    const lines = await run('production');
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed.find((l) => l.requestId === 'process-line')).toMatchObject({
      method: 'GET',
      path: '/no-such-page',
      status: 404,
      durationMs: expect.any(Number),
      level: 30,
    });
    expect(parsed.some((l) => l.context === 'Main' && /Listening on/.test(String(l.msg)))).toBe(true);
  });

  it('development: readable lines', async () => {
    const lines = await run('development');
    const line = lines.find((l) => l.includes('process-line'));
    expect(line).toMatch(/INFO.*GET \/no-such-page 404 [\d.]+ms/);
    expect(() => JSON.parse(line!)).toThrow();
  });
});

/** LOG_LINK_SAMPLE: a share of the successful link answers is logged; the rest is logged as before. */
describe('sampled link lines', () => {
  let t: TestApp;
  const lines: Array<LogLine & { sampleRate?: number }> = [];

  beforeAll(async () => {
    t = await bootApp({
      env: { LOG_LEVEL: 'log', LOG_LINK_SAMPLE: '0.25', METRICS_PORT: '0' },
      logDestination: { write: (chunk: string) => void lines.push(JSON.parse(chunk) as LogLine) },
    });
  });
  afterAll(() => t?.close());

  it('logs one successful link answer in four (each line says so), every error and every API request', async () => {
    const token = await t.login('sampled', { tier: 'Premium' });
    const image = (
      await t
        .http()
        .post('/api/images')
        .auth(token, { type: 'bearer' })
        .attach('file', await fixtures.png(120, 90), { filename: 'x.png', contentType: 'image/png' })
        .expect(201)
    ).body as { links: { original: string } };
    const link = new URL(image.links.original).pathname;
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await t.http().get(link).set('X-Request-Id', `sampled-${i}`).expect(200);
      expect(res.headers['x-request-id']).toBe(`sampled-${i}`); // every answer keeps its id
      ids.push(`sampled-${i}`);
    }
    const etag = (await t.http().get(link).set('X-Request-Id', 'sampled-12').expect(200)).headers.etag as string;
    await t.http().get(link).set('If-None-Match', etag).set('X-Request-Id', 'sampled-13').expect(304);
    await t.http().get(link).set('X-Request-Id', 'sampled-14').expect(200);
    await t.http().get(link).set('X-Request-Id', 'sampled-15').expect(200);
    ids.push('sampled-12', 'sampled-13', 'sampled-14', 'sampled-15');
    await t.http().get(`${link}x`).set('X-Request-Id', 'sampled-404').expect(404);
    await t.http().get('/api/images').auth(token, { type: 'bearer' }).set('X-Request-Id', 'sampled-api').expect(200);
    const logged = (id: string) => lines.find((l) => l.requestId === id && l.status !== undefined);
    for (let i = 0; i < 50 && !logged('sampled-api'); i++) await new Promise((r) => setTimeout(r, 20));

    const sampled = ids.filter(logged);
    expect(sampled).toEqual(['sampled-3', 'sampled-7', 'sampled-11', 'sampled-15']); // evenly: every fourth
    for (const id of sampled) expect(logged(id)).toMatchObject({ status: 200, sampleRate: 0.25 });
    expect(logged('sampled-404')).toMatchObject({ status: 404 });
    expect(logged('sampled-404')).not.toHaveProperty('sampleRate');
    expect(logged('sampled-api')).toMatchObject({ path: '/api/images', status: 200 });
    expect(logged('sampled-api')).not.toHaveProperty('sampleRate');

    // The metric still counts every answer.
    const metrics = await (await fetch(`http://127.0.0.1:${t.app.get(MetricsEndpoint).port}/metrics`)).text();
    const counted = parsePrometheus(metrics)
      .filter(
        (s) =>
          s.name === 'image_api_http_request_duration_seconds_count' &&
          s.labels.route === '/media/:id/:sig/:file' &&
          s.labels.status_class !== '4xx',
      )
      .reduce((sum, s) => sum + s.value, 0);
    expect(counted).toBe(16);
  });
});
