import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type DatabaseHandle } from '../src/database/embedded-postgres.js';
import { isDatabaseUnavailable, transactionOrNothing } from '../src/common/database-unavailable.js';
import { JobQueue } from '../src/jobs/job-queue.js';
import { bootApp, type TestApp } from './support/app.js';
import type { TestDatabase } from './support/database.js';
import * as fixtures from './support/images.js';

/**
 * A PostgreSQL cluster of this spec's own (not the shared test server), stopped, started again on the same
 * port, and frozen with SIGSTOP, under a running application.
 */
describe('PostgreSQL outage under a running server', () => {
  let dataDir: string;
  let cluster: DatabaseHandle;
  let port: number;
  let t: TestApp;
  let token: string;
  let cachedLink: string;
  let cachedBytes: number;

  const clusterDir = () => join(dataDir, 'postgres');
  /** The postmaster and every backend and helper it forked. */
  const serverPids = (): number[] => {
    const postmaster = Number(readFileSync(join(clusterDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
    return [postmaster, ...children];
  };
  /** Each request must end well before this: an outage is an answer, never a hang. */
  const NO_HANG = 12_000;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${t.baseUrl}${path}`, { headers, signal: AbortSignal.timeout(NO_HANG) });
  const upload = async (data: Buffer) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(data)], { type: 'image/png' }), 'x.png');
    return fetch(`${t.baseUrl}/api/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
      signal: AbortSignal.timeout(NO_HANG),
    });
  };
  const storedImages = () => {
    const dir = join(t.config.dataDir, 'files', 'images');
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  };
  const uploadsLeft = () => {
    const dir = join(t.config.dataDir, 'uploads');
    return existsSync(dir) ? readdirSync(dir).length : 0;
  };
  const rowIds = async () =>
    ((await t.dataSource.query('SELECT id FROM images ORDER BY id')) as Array<{ id: string }>).map((r) => r.id);

  async function expect503(res: Response) {
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(body.message).toMatch(/database/i);
  }

  async function untilHealthy(timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await get('/api/health').catch(() => undefined);
      if (res?.status === 200) return;
      if (Date.now() > deadline) throw new Error(`not healthy again: ${res?.status}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Every row has its file and every file its row. */
  async function expectConsistent() {
    await t.app.get(JobQueue).drain();
    expect(await rowIds()).toEqual(storedImages());
    expect(uploadsLeft()).toBe(0);
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'image-api-outage-'));
    cluster = await startEmbeddedPostgres(dataDir);
    port = Number(new URL(cluster.url).port);
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query('CREATE DATABASE test_outage');
    await admin.end();
    const url = new URL(cluster.url);
    url.pathname = '/test_outage';
    const db: TestDatabase = { url: url.toString(), name: 'test_outage', drop: async () => undefined };
    t = await bootApp({ db, env: { DB_CONNECT_TIMEOUT_MS: '1500', DB_STATEMENT_TIMEOUT_MS: '2000' } });
    token = await t.login('outage-user', { tier: 'Premium' });
    const image = (await (await upload(await fixtures.png(300, 200))).json()) as {
      links: { thumbnails: Array<{ url: string }> };
    };
    cachedLink = new URL(image.links.thumbnails[0].url).pathname;
    const first = await get(cachedLink);
    expect(first.status).toBe(200);
    cachedBytes = (await first.arrayBuffer()).byteLength;
  });

  afterAll(async () => {
    for (const pid of existsSync(join(clusterDir(), 'postmaster.pid')) ? serverPids() : []) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await t?.close({ keepDatabase: true });
    await cluster?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('frozen (SIGSTOP): 503 within the timeouts instead of a hang, cached links served, then recovers', async () => {
    const pids = serverPids();
    const rowsBefore = await rowIds();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      await expect503(await get('/api/images', { authorization: `Bearer ${token}` }));
      expect((await get('/api/health')).status).toBe(503);
      const cached = await get(cachedLink);
      expect(cached.status).toBe(200);
      expect((await cached.arrayBuffer()).byteLength).toBe(cachedBytes);
      await expect503(await upload(await fixtures.png(90, 70)));
      // Several at once: the pool's connections are all stuck; each request still gets its answer.
      const many = await Promise.all(
        Array.from({ length: 25 }, () => get('/api/images', { authorization: `Bearer ${token}` })),
      );
      for (const res of many) await expect503(res);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    await untilHealthy();
    expect((await get('/api/images', { authorization: `Bearer ${token}` })).status).toBe(200);
    // Whatever the frozen server received, nothing of the failed upload was committed after it resumed.
    await new Promise((r) => setTimeout(r, 500));
    expect(await rowIds()).toEqual(rowsBefore);
    await expectConsistent();
  });

  it('stopped: 503 with Retry-After for what needs it, cached links still served, then recovers', async () => {
    await cluster.close();

    await expect503(await get('/api/images', { authorization: `Bearer ${token}` }));
    const login = await fetch(`${t.baseUrl}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'outage-user', password: 'password-123' }),
      signal: AbortSignal.timeout(NO_HANG),
    });
    await expect503(login);
    expect((await get('/api/health')).status).toBe(503);

    const cached = await get(cachedLink);
    expect(cached.status).toBe(200);
    expect((await cached.arrayBuffer()).byteLength).toBe(cachedBytes);

    const before = storedImages();
    await expect503(await upload(await fixtures.png(120, 80)));
    expect(storedImages()).toEqual(before); // the failed upload left no file
    expect(uploadsLeft()).toBe(0);

    cluster = await startEmbeddedPostgres(dataDir, undefined, { port });
    await untilHealthy();
    expect((await get('/api/images', { authorization: `Bearer ${token}` })).status).toBe(200);
    const stored = await upload(await fixtures.png(100, 60));
    expect(stored.status).toBe(201);
    const { id } = (await stored.json()) as { id: string };
    expect(await rowIds()).toContain(id);
    await expectConsistent();
  });

  it('a write whose statement reached a frozen backend is rolled back when it resumes, not committed late', async () => {
    await t.dataSource.query('CREATE TABLE outage_probe (id int)');
    let backend = 0;
    const attempt = transactionOrNothing(t.dataSource, async (manager) => {
      backend = ((await manager.query('SELECT pg_backend_pid() AS pid')) as Array<{ pid: number }>)[0].pid;
      process.kill(backend, 'SIGSTOP'); // this connection's server process only
      await manager.query('INSERT INTO outage_probe VALUES (1)'); // sent, never answered: query_timeout
    });
    try {
      await expect(attempt).rejects.toThrow(/Query read timeout/);
    } finally {
      process.kill(backend, 'SIGCONT');
    }
    // The backend now reads the INSERT, runs it in its transaction, then finds the connection closed.
    for (let i = 0; i < 20; i++) {
      const [{ n }] = (await t.dataSource.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1`, [
        backend,
      ])) as Array<{ n: number }>;
      if (n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await t.dataSource.query('SELECT count(*)::int AS n FROM outage_probe')).toEqual([{ n: 0 }]);
  });

  it('classifies connection-class errors as unavailable, and others not', () => {
    const unavailable = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated due to connection timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Query read timeout'),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
      Object.assign(new Error('QueryFailedError'), { driverError: { code: '08006' } }),
      new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], 'all failed'),
    ];
    const others = [
      Object.assign(new Error('duplicate key value'), { code: '23505' }),
      Object.assign(new Error('syntax error'), { code: '42601' }),
      new Error('Something else'),
      undefined,
      'text',
    ];
    for (const error of unavailable)
      expect([String(error), isDatabaseUnavailable(error)]).toEqual([String(error), true]);
    for (const error of others) expect([String(error), isDatabaseUnavailable(error)]).toEqual([String(error), false]);
  });
});
