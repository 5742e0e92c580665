// Processes of the bench: the servers under test, baseline servers and clients, and their memory.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { npmScriptLaunch } from '../../scripts/npm-script.mjs';

/** A free port from the OS (never a guess in the client port range: STACK.md trap 14). */
export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

const status = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8');
const kib = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status(pid))[1]);
/** Resident memory now, in MiB. */
export const rssMiB = (pid) => kib(pid, 'VmRSS') / 1024;
/** Peak resident memory (VmHWM) since start or the last resetPeak, in MiB. */
export const peakMiB = (pid) => kib(pid, 'VmHWM') / 1024;
/** Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs). */
export const resetPeak = (pid) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** Starts a Node script that prints one JSON line once it listens ({port}); resolves with {child, port}. */
export async function startNodeServer(script, args = [], env = process.env) {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let buffer = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      buffer += d;
      const line = buffer.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.on('exit', (code) => reject(new Error(`${script} exited ${code} before listening`)));
  });
  return { child, port };
}

/** Runs a Node script to its end and parses the JSON it prints last. */
export async function runNodeJson(script, args = [], env = process.env) {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'close'); // not 'exit': its last output may still be unread then
  if (code !== 0) throw new Error(`${script} exited ${code}: ${out}`);
  return JSON.parse(out.trim().split('\n').pop());
}

export async function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** CPU time a process has used so far (user + system, all threads), in ms. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU time of a process and of all its descendants (nginx's workers, a cluster's workers), in ms. */
export function treeCpuMs(pid) {
  let total = 0;
  try {
    total = cpuMs(pid);
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean);
      for (const child of children) total += treeCpuMs(Number(child));
    }
  } catch {
    // gone meanwhile: what it used is no longer counted anywhere, on either side alike
  }
  return total;
}

/**
 * Waits until a process tree is quiet: under 3 % of a core over a second (the embedded PostgreSQL's background
 * processes use less). Uploads leave work behind them (thumbnail formats made in the background, AVIF above
 * all: seconds of a core after the bench's large uploads), and a path measured meanwhile shares its core with
 * it. Returns the seconds waited; gives up after `maxSeconds`.
 */
export async function settle(pid, maxSeconds = 180) {
  const started = Date.now();
  for (;;) {
    const before = treeCpuMs(pid);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (treeCpuMs(pid) - before < 30 || Date.now() - started > maxSeconds * 1000) break;
  }
  return (Date.now() - started) / 1000;
}

/**
 * `npm start` as package.json writes it: the environment it sets (glibc's settings), the node flags it gives and
 * the script it runs, so that the bench runs what users run.
 */
const START = npmScriptLaunch('start');

/**
 * The server under test as `npm start` runs it in production: a fresh temp DATA_DIR (embedded PostgreSQL, local
 * storage), new secrets, a free port, NODE_ENV=production, the environment `npm start` sets (glibc's
 * MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_) and a request line per request
 * (LOG_LEVEL=log, the default). No DATABASE_URL, REDIS_URL, STORAGE, NODE_OPTIONS or THUMBNAIL_FORMATS from the
 * caller's shell; `overrides` sets what a bench varies (WEB_CONCURRENCY, ...).
 */
export async function productionServerEnv(prefix, overrides = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    LINK_SECRET: randomBytes(32).toString('base64url'),
    DATA_DIR: dataDir,
    PORT: String(port),
    PUBLIC_URL: base,
    NODE_ENV: 'production',
    LOG_LEVEL: 'log',
    ACCESS_TOKEN_TTL: '86400',
    ...START.env,
    WEB_CONCURRENCY: '1',
  };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'STORAGE', 'NODE_OPTIONS', 'THUMBNAIL_FORMATS', 'LOG_LINK_SAMPLE'])
    delete env[key];
  return { env: { ...env, ...overrides }, dataDir, port, base };
}

/**
 * Starts the server as `npm start` does (`node dist/main.js` and its flags) with `env`, from the checkout `cwd`;
 * its stdout (the JSON log, one line per request) goes to `logFile`, as with `npm start > server.log`, so that
 * logging costs what it costs in production and can be counted.
 */
export function spawnServer(env, logFile, cwd = process.cwd()) {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...START.flags, START.script], {
    cwd,
    env,
    stdio: ['ignore', out, 'inherit'],
  });
  closeSync(out);
  return child;
}

const isRequestLine = (line) => line.includes('"requestId"') && line.includes('"status"');

/**
 * Calls `each` with every request line of a server's log (JSON lines with a requestId and a status), read in
 * 16 MiB pieces: the serving section's log passes a gigabyte, twice what one string may hold.
 */
function eachRequestLine(logFile, each) {
  if (!existsSync(logFile)) return;
  const fd = openSync(logFile, 'r');
  const piece = Buffer.alloc(16 * 2 ** 20);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for (let n; (n = readSync(fd, piece, 0, piece.length, null)) > 0;) {
      const lines = (rest + decoder.write(piece.subarray(0, n))).split('\n');
      rest = lines.pop();
      for (const line of lines) if (isRequestLine(line)) each(line);
    }
    if (isRequestLine(rest)) each(rest);
  } finally {
    closeSync(fd);
  }
}

/** The request lines of a server's log: method, path, status, durationMs. */
export function requestLog(logFile) {
  const lines = [];
  eachRequestLine(logFile, (line) => lines.push(JSON.parse(line)));
  return lines;
}

/** Request lines counted by status. */
export function requestStatuses(logFile) {
  const counts = {};
  for (const { status } of requestLog(logFile)) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** How many request lines a server's log holds. */
export function requestLines(logFile) {
  let count = 0;
  eachRequestLine(logFile, () => count++);
  return count;
}

/** Resolves once `base`/api/health answers 200; throws if `child` exits first or after 2 minutes. */
export async function waitForHealth(base, child) {
  for (let i = 0; ; i++) {
    if (
      await fetch(`${base}/api/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    if (child.exitCode !== null || i > 1200) throw new Error('the server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}
