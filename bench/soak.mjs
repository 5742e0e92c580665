// The memory soak (issue 21): a real server (node dist/main.js, as `npm start` runs it) under 100 clients for
// 3 minutes, mixed: 60% thumbnail links, 30% list pages, 10% uploads (wrk + bench/soak.lua). By default the mix
// is of clients, as users are: 60 connections view thumbnails, 30 page through lists and 10 upload, each waiting
// for its own answers (three wrk processes, their latencies merged into one distribution). --mix=requests makes
// each of the 100 connections pick every request at random instead, so that in a closed loop the connections
// gather in the slowest kind (bench/README.md explains what that measures). Reports the peak RSS of every server
// process sampled from /proc every 250 ms, the errors (any status >= 400, 429 included, and socket errors) and
// p99, overall and per kind. Usage: npm run bench:soak [-- --seconds=180 --clients=100 --upload=1600x1200
// --mix=clients|requests]. WEB_CONCURRENCY (default 1 here) and NODE_OPTIONS from the environment reach the
// server.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  productionServerEnv,
  requestLog,
  requestStatuses,
  rssMiB,
  spawnServer,
  stop,
  waitForHealth,
} from './lib/proc.mjs';
import { json, request, signIn, upload } from './lib/client.mjs';
import { requireWrk } from './lib/wrk.mjs';

requireWrk();
const arg = (name, fallback) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);
const SECONDS = arg('seconds', 180);
const CLIENTS = arg('clients', 100);
// The uploaded JPEG's size (--upload=WxH): a 1600×1200 photo by default.
const [UPLOAD_W, UPLOAD_H] = (process.argv.find((a) => a.startsWith('--upload='))?.slice(9) ?? '1600x1200')
  .split('x')
  .map(Number);
const MIX = process.argv.find((a) => a.startsWith('--mix='))?.slice(6) ?? 'clients';
if (!['clients', 'requests'].includes(MIX)) throw new Error('--mix is clients or requests');
const USERS = 5; // each made by the CLI (a few seconds each)
const log = (message) => console.error(`soak: ${message}`);
// WEB_CONCURRENCY and NODE_OPTIONS from the caller's environment reach the server (the cluster, V8 flags).
const { env, dataDir, base } = await productionServerEnv('image-api-soak', {
  WEB_CONCURRENCY: process.env.WEB_CONCURRENCY ?? '1',
  ...(process.env.NODE_OPTIONS && { NODE_OPTIONS: process.env.NODE_OPTIONS }),
  ...(process.env.LOG_LEVEL && { LOG_LEVEL: process.env.LOG_LEVEL }),
});
const serverLog = join(dataDir, 'server.log');
const server = spawnServer(env, serverLog);
/** The server's processes: the primary and its workers (never the embedded PostgreSQL, which is no child). */
const serverPids = () => {
  const pid = server.pid;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return [pid, ...children.map(Number)];
};
const peaks = new Map();
let soakRequests = 0;
let sampler;
try {
  await waitForHealth(base, server);
  await new Promise((r) => setTimeout(r, 3000)); // every worker up, start-up garbage settled
  const idle = Object.fromEntries(serverPids().map((pid) => [pid, Math.round(rssMiB(pid))]));
  log(`idle RSS (MiB) by pid: ${JSON.stringify(idle)}`);

  // ---- inputs: USERS Enterprise users, each with 3 images; their thumbnail links; one JPEG to upload ----
  const photo = await sharp(randomBytes(16 * 12 * 3), { raw: { width: 16, height: 12, channels: 3 } })
    .resize(UPLOAD_W, UPLOAD_H)
    .jpeg({ quality: 85 })
    .toBuffer();
  const tokens = [];
  const links = [];
  for (let u = 0; u < USERS; u++) {
    const accessToken = await signIn(base, env, `soak-${u}`, 'Enterprise');
    tokens.push(accessToken);
    for (let i = 0; i < 3; i++) {
      const image = await json(await upload(base, accessToken, photo));
      for (const t of image.links.thumbnails) links.push(new URL(t.url).pathname);
    }
  }
  for (const link of links) if (!(await request(`${base}${link}`)).ok) throw new Error(`${link} does not serve`);
  writeFileSync(join(dataDir, 'links.txt'), `${links.join('\n')}\n`);
  writeFileSync(join(dataDir, 'tokens.txt'), `${tokens.join('\n')}\n`);
  writeFileSync(join(dataDir, 'upload.jpg'), photo);
  log(
    `${USERS} users, ${links.length} links, upload of ${UPLOAD_W}×${UPLOAD_H}, ${(photo.length / 1024).toFixed(0)} KB; ${CLIENTS} clients for ${SECONDS} s`,
  );

  // ---- the soak, RSS sampled meanwhile ----
  sampler = setInterval(() => {
    for (const pid of serverPids()) {
      try {
        peaks.set(pid, Math.max(peaks.get(pid) ?? 0, rssMiB(pid)));
      } catch {
        // a worker that just exited
      }
    }
  }, 250);
  // One wrk per population (--mix=clients), or one mixed wrk (--mix=requests).
  const populations =
    MIX === 'clients'
      ? [
          ['links', Math.round(CLIENTS * 0.6)],
          ['lists', Math.round(CLIENTS * 0.3)],
          ['uploads', CLIENTS - Math.round(CLIENTS * 0.6) - Math.round(CLIENTS * 0.3)],
        ]
      : [['mixed', CLIENTS]];
  const runs = await Promise.all(populations.map(([kind, connections]) => runWrk(kind, connections)));
  clearInterval(sampler);
  const result = merged(runs);
  soakRequests = result.requests;
  const errors = result.errorStatus + result.connect + result.read + result.write + result.timeout;
  const peak = Math.max(...peaks.values());
  const files = readdirSync(join(dataDir, 'files', 'images')).length;
  const ok = (cond) => (cond ? '✓' : '✗');
  console.log(
    `\nsoak: ${CLIENTS} clients (${populations.map(([kind, n]) => `${n} ${kind}`).join(', ')}), ${SECONDS} s, WEB_CONCURRENCY=${env.WEB_CONCURRENCY}, NODE_OPTIONS=${env.NODE_OPTIONS ?? ''}`,
  );
  console.log(
    `requests: ${result.requests} (${(result.requests / result.seconds).toFixed(0)} req/s), images stored: ${files}`,
  );
  console.log(
    `errors: ${errors} (status >= 400: ${result.errorStatus}, socket: connect ${result.connect}, read ${result.read}, write ${result.write}, timeout ${result.timeout}) (target 0 ${ok(errors === 0)})`,
  );
  console.log(
    `latency: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms (target ≤ 250 ${ok(result.p99 <= 250)}), max ${result.max.toFixed(0)} ms`,
  );
  for (const run of runs.length > 1 ? runs : []) {
    console.log(
      `  ${run.kind}: ${run.requests} requests, p50 ${quantile([run], 0.5).toFixed(1)} ms, p99 ${quantile([run], 0.99).toFixed(1)} ms`,
    );
  }
  console.log(
    `idle RSS before the soak (MiB): ${Object.entries(idle)
      .map(([pid, mib]) => `${pid}: ${mib}`)
      .join(', ')}`,
  );
  console.log(
    `peak RSS during the soak (MiB): ${[...peaks].map(([pid, mib]) => `${pid}: ${mib.toFixed(0)}`).join(', ')} (target ≤ 300 per process ${ok(peak <= 300)})`,
  );
  process.exitCode = errors === 0 && result.p99 <= 250 && peak <= 300 ? 0 : 1;
} finally {
  clearInterval(sampler);
  await stop(server, 'SIGTERM');
  // The server's own view, from its request lines: where the time goes, per kind of request.
  const lines = requestLog(serverLog);
  console.log(
    `request lines in the server's log, by status: ${JSON.stringify(requestStatuses(serverLog))} (${lines.length} lines, ${soakRequests} requests answered to wrk: ${lines.length >= soakRequests ? 'none lost ✓' : `${soakRequests - lines.length} lost ✗`})`,
  );
  const kinds = {
    'thumbnail links': (l) => l.path.startsWith('/media/'),
    'list pages': (l) => l.method === 'GET' && l.path.startsWith('/api/images'),
    uploads: (l) => l.method === 'POST' && l.path === '/api/images',
  };
  for (const [kind, test] of Object.entries(kinds)) {
    const ms = lines
      .filter(test)
      .map((l) => l.durationMs)
      .sort((a, b) => a - b);
    const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]?.toFixed(1);
    console.log(`server time, ${kind}: ${ms.length} requests, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

/** One wrk process of `connections` connections, each asking for `kind` (bench/soak.lua); its done() line. */
async function runWrk(kind, connections) {
  const child = spawn(
    'wrk',
    ['-t', '1', '-c', String(connections), '-d', `${SECONDS}s`, '--timeout', '10s', '-s', 'bench/soak.lua', base],
    { env: { ...process.env, SOAK_DIR: dataDir, SOAK_KIND: kind }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => child.on('close', r));
  if (code !== 0) throw new Error(`wrk (${kind}) exited ${code}: ${out}`);
  return JSON.parse(
    out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop(),
  );
}

/**
 * The latency at quantile `p` of several wrk runs together: each run's 0.1-percentile grid stands for its
 * requests in equal shares, so a kind weighs as much as the requests it made.
 */
function quantile(runs, p) {
  const total = runs.reduce((sum, r) => sum + r.requests, 0);
  const points = runs
    .flatMap((r) => r.q.map((ms, i) => ({ ms, weight: r.requests * (i === 0 ? 0 : 1 / (r.q.length - 1)) })))
    .sort((a, b) => a.ms - b.ms);
  let seen = 0;
  for (const point of points) {
    seen += point.weight;
    if (seen >= p * total) return point.ms;
  }
  return points.at(-1).ms;
}

/** The runs as one: requests, errors by kind summed, p50/p99 of the merged distribution, the highest max. */
function merged(runs) {
  const sum = (key) => runs.reduce((total, r) => total + r[key], 0);
  return {
    requests: sum('requests'),
    seconds: Math.max(...runs.map((r) => r.seconds)),
    errorStatus: sum('errorStatus'),
    connect: sum('connect'),
    read: sum('read'),
    write: sum('write'),
    timeout: sum('timeout'),
    p50: quantile(runs, 0.5),
    p99: quantile(runs, 0.99),
    max: Math.max(...runs.map((r) => r.max)),
  };
}
