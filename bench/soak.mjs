// The memory soak (issue 21): a real server (node dist/main.js, as `npm start` runs it) under 100 clients for
// 3 minutes, mixed: 60% thumbnail links, 30% list pages, 10% uploads (wrk + bench/soak.lua). Reports the peak RSS
// of every server process sampled from /proc every 250 ms, the errors (any status >= 400, 429 included, and
// socket errors) and p99. Usage: npm run bench:soak [-- --seconds=180 --clients=100 --upload=1600x1200]
// WEB_CONCURRENCY (default 1 here) and NODE_OPTIONS from the environment reach the server.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
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
const USERS = 5; // each made by the CLI (a few seconds each)
const log = (message) => console.error(`soak: ${message}`);
// A kept-alive socket the server has just closed fails at once: one retry on a fresh socket (as bench/run.mjs).
const request = (url, init) =>
  fetch(url, init).catch((error) =>
    error.cause?.code === 'UND_ERR_SOCKET' ? fetch(url, init) : Promise.reject(error),
  );

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
    const name = `soak-${u}`;
    execFileSync(
      process.execPath,
      ['dist/cli/main.js', 'create-user', name, '--password', `${name}-password`, '--tier', 'Enterprise'],
      { env },
    );
    const res = await request(`${base}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: name, password: `${name}-password` }),
    });
    const { accessToken } = await res.json();
    tokens.push(accessToken);
    for (let i = 0; i < 3; i++) {
      const form = new FormData();
      form.append('file', new Blob([photo]), 'photo.jpg');
      const image = await (
        await request(`${base}/api/images`, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}` },
          body: form,
        })
      ).json();
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
  const wrk = spawn(
    'wrk',
    ['-t', '2', '-c', String(CLIENTS), '-d', `${SECONDS}s`, '--timeout', '10s', '-s', 'bench/soak.lua', base],
    { env: { ...process.env, SOAK_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  wrk.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => wrk.on('close', r));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`wrk exited ${code}: ${out}`);
  const result = JSON.parse(
    out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop(),
  );
  const errors = result.errorStatus + result.connect + result.read + result.write + result.timeout;
  const peak = Math.max(...peaks.values());
  const files = readdirSync(join(dataDir, 'files', 'images')).length;
  const ok = (cond) => (cond ? '✓' : '✗');
  console.log(
    `\nsoak: ${CLIENTS} clients, ${SECONDS} s, WEB_CONCURRENCY=${env.WEB_CONCURRENCY}, NODE_OPTIONS=${env.NODE_OPTIONS ?? ''}`,
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
  console.log(`request lines in the server's log, by status: ${JSON.stringify(requestStatuses(serverLog))}`);
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
