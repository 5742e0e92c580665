import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/app.js';
import { childEnv, ServerProcess } from './support/process.js';

/** The pids of the primary's children that run the server (the embedded PostgreSQL is not its child). */
function workerPids(primary: number): number[] {
  const children = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/);
  return children
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/main.js');
      } catch {
        return false; // gone meanwhile
      }
    })
    .sort();
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** One GET on a connection of its own (so the primary hands each to the next worker), answering the status. */
function getOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * `node dist/main.js` with WEB_CONCURRENCY=2, as npm start and the image run it: a primary that owns the one
 * embedded PostgreSQL and the metrics endpoint, two workers answering on the same port.
 */
describe('WEB_CONCURRENCY=2: a cluster of server processes', () => {
  let dataDir: string;
  let baseUrl: string;
  let metricsUrl: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'image-api-cluster-'));
    const [port, metricsPort] = [await freePort(), await freePort()];
    baseUrl = `http://127.0.0.1:${port}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    server = new ServerProcess({
      ...childEnv({
        DATA_DIR: dataDir,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        WEB_CONCURRENCY: '2',
        // JSON log lines carry the pid of the process that wrote them
        NODE_ENV: 'production',
        LOG_LEVEL: 'log',
      }),
      JWT_SECRET: 'cluster-test-jwt-secret-0123456789abcdef',
      LINK_SECRET: 'cluster-test-link-secret-0123456789abcdef',
    });
    await server.waitForOutput(/Listening on \S+ \(port \d+, 2 workers\)/, 120_000);
  }, 150_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const healthLines = () =>
    server.output
      .split('\n')
      .filter((line) => line.includes('"path":"/api/health"'))
      .map((line) => JSON.parse(line) as { pid: number });
  const metric = async (series: string) => {
    const text = await (await fetch(metricsUrl)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  const healthCount =
    'image_api_http_request_duration_seconds_count{method="GET",route="/api/health",status_class="2xx"}';

  it('answers from two worker processes, and /metrics adds up what both served', async () => {
    const workers = workerPids(server.child.pid!);
    expect(workers).toHaveLength(2);
    for (let i = 0; i < 20; i++) expect(await getOnNewConnection(`${baseUrl}/api/health`)).toBe(200);

    const lines = await until(() => (healthLines().length >= 20 ? healthLines() : undefined));
    expect([...new Set(lines.map((line) => line.pid))].sort()).toEqual(workers);
    expect(await metric(healthCount)).toBe(lines.length);
    expect(await metric('image_api_cluster_workers')).toBe(2);
    // one embedded PostgreSQL, owned by the primary
    expect(readFileSync(join(dataDir, 'postgres.owner'), 'utf8')).toBe(String(server.child.pid));
  });

  it('replaces a worker killed with SIGKILL, and keeps serving meanwhile', async () => {
    const [victim, survivor] = workerPids(server.child.pid!);
    process.kill(victim, 'SIGKILL');
    await until(() => (alive(victim) ? undefined : true));
    expect(await getOnNewConnection(`${baseUrl}/api/health`)).toBe(200);

    const replaced = await until(() => {
      const pids = workerPids(server.child.pid!);
      return pids.length === 2 && !pids.includes(victim) ? pids : undefined;
    });
    expect(replaced).toContain(survivor);
    const newcomer = replaced.find((pid) => pid !== survivor)!;
    await server.waitForOutput(new RegExp(`"pid":${newcomer},.*"msg":"Listening on port`), 120_000);
    expect(await metric('image_api_cluster_worker_restarts_total')).toBe(1);
    expect(await metric('image_api_cluster_workers')).toBe(2);
  }, 150_000);

  it('SIGTERM stops every worker, then the embedded PostgreSQL, and exits 0', async () => {
    const workers = workerPids(server.child.pid!);
    const postmaster = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(await server.stop('SIGTERM')).toBe(0);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    // pg_ctl stop -w returns once the pid file is gone; the postmaster process itself ends a moment later
    await until(() => (alive(postmaster) ? undefined : true), 10_000);
    expect(server.output).toMatch(/SIGTERM: stopping 2 workers/);
  }, 60_000);
});
