// wrk as the load generator: it runs in C on its own thread and reaches ~90k req/s here, far above what any
// server in this bench answers, so the figures measure the servers, not the client.
import { execFileSync, spawn } from 'node:child_process';
import { treeCpuMs } from './proc.mjs';

export function requireWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    // `wrk --version` exits 1 after printing its version; only a missing binary is fatal.
    if (error.code !== 'ENOENT') return;
    console.error(
      'bench: wrk is not installed. It is the load generator (a Node client saturates before the servers do).\n' +
        '  Debian/Ubuntu: sudo apt-get install -y wrk\n' +
        '  macOS:         brew install wrk\n' +
        'Then run `npm run bench` again.',
    );
    process.exit(2);
  }
}

/** Requests wrk saw answered, by origin (`http://host:port`), over every run: a server's log must hold as many. */
const answered = new Map();
export const answeredBy = (origin) => answered.get(origin) ?? 0;

const UNITS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 };
const millis = (value, unit) => Number(value) * UNITS[unit];

/**
 * One wrk run: `connections` connections on `threads` threads for `seconds` (on CPU `cpu` only, when given).
 * Returns req/s, p50/p99 in ms, and throws when any response was an error (non-2xx/3xx) or a socket failed, so
 * a broken path never looks fast.
 */
export async function wrk(url, { threads = 1, connections = 50, seconds = 5, headers = {}, cpu } = {}) {
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency', '--timeout', '10s'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const child =
    cpu === undefined
      ? spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('taskset', ['-c', String(cpu), 'wrk', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`wrk exited ${code}:\n${out}`);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
  const requests = /(\d+) requests in/.exec(out);
  if (!rps || !p50 || !p99 || !requests) throw new Error(`could not read wrk's output:\n${out}`);
  const bad = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (bad) throw new Error(`${url}: ${bad[1]} error responses under load:\n${out}`);
  if (socket && socket.slice(1).some((n) => Number(n) > 0)) throw new Error(`${url}: socket errors:\n${out}`);
  const { origin } = new URL(url);
  answered.set(origin, answeredBy(origin) + Number(requests[1]));
  return {
    rps: Number(rps[1]),
    p50: millis(p50[1], p50[2]),
    p99: millis(p99[1], p99[2]),
    requests: Number(requests[1]),
  };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Interleaved rounds after a warm-up of each (1 s unless `warmup` says more), each round a pair measured back
 * to back, their order alternating (project then baseline, baseline then project, …) so that a trend falls on
 * both alike. Returns `ratio`, the median over rounds of project / baseline req/s: this machine's noise comes in
 * bursts of seconds that hit one side of a pair now and then (two identical servers measured in turn read 0.57
 * and 1.61 of each other in such rounds, and 0.83–1.14 in the others), and the median of the pairs does not
 * move with one burst where the ratio of the means does. Also for each side the mean over rounds of req/s, p50
 * and p99 and, for a side given a `pid`, the CPU its process tree used per request over the rounds (µs): what a
 * request costs each side, and (times req/s) whether the side kept its core busy or waited.
 */
export async function sideBySide(project, baseline, { rounds, seconds, warmup = 1 }) {
  const runs = { project: [], baseline: [] };
  const cpu = { project: { ms: 0, requests: 0 }, baseline: { ms: 0, requests: 0 } };
  const measured = async (side, spec) => {
    const before = spec.pid === undefined ? 0 : treeCpuMs(spec.pid);
    const run = await wrk(spec.url, { ...spec, seconds });
    if (spec.pid !== undefined) {
      cpu[side].ms += treeCpuMs(spec.pid) - before;
      cpu[side].requests += run.requests;
    }
    runs[side].push(run);
  };
  // Warm-up, not counted: JIT, connection pools and caches on both sides.
  await wrk(project.url, { ...project, seconds: warmup });
  await wrk(baseline.url, { ...baseline, seconds: warmup });
  for (let round = 0; round < rounds; round++) {
    const pair = round % 2 ? ['baseline', 'project'] : ['project', 'baseline'];
    for (const side of pair) await measured(side, side === 'project' ? project : baseline);
  }
  const summary = (side) => {
    const list = runs[side];
    return {
      rps: mean(list.map((r) => r.rps)),
      p50: mean(list.map((r) => r.p50)),
      p99: mean(list.map((r) => r.p99)),
      rounds: list.map((r) => Math.round(r.rps)),
      cpuUs: cpu[side].requests ? (cpu[side].ms * 1000) / cpu[side].requests : undefined,
    };
  };
  const ratio = median(runs.project.map((run, i) => run.rps / runs.baseline[i].rps));
  return { ratio, project: summary('project'), baseline: summary('baseline') };
}
