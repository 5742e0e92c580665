// A/B of two builds of the project on the link path, free of this machine's slow phases.
//
//   node bench/ab.mjs OTHER_CHECKOUT [--rounds=10] [--seconds=3]
//
// A is OTHER_CHECKOUT's build (run `npm run build` there; a `git worktree` with this node_modules linked in
// will do), B this checkout's. Each is started as `npm start` runs it (this checkout's flags), given a login,
// five uploads, 200 list pages and 20 image reads (Express requests before the links, as in production), then
// both are measured AT ONCE, each pinned with its own `wrk -t1 -c50` to one of two cores, the two swapping
// cores every round. Both live through the same phases of the host, and the geometric mean of each pair of
// rounds cancels any difference between the cores: on this VM one vCPU at a time can run at half speed, and
// measured in turn a 5 % change hides in a 2x swing (bench/README). Each server shares its core with its
// client, which pulls a ratio toward 1: read it as a lower bound of the change, not as a throughput ratio.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { exercise, signIn } from './lib/client.mjs';
import { productionServerEnv, spawnServer, stop, waitForHealth } from './lib/proc.mjs';
import { requireWrk, wrk } from './lib/wrk.mjs';

requireWrk();
const other = process.argv[2];
if (!other || availableParallelism() < 2) {
  console.error('usage: node bench/ab.mjs OTHER_CHECKOUT [--rounds=10] [--seconds=3] (on 2 cores or more)');
  process.exit(2);
}
const option = (name, fallback) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const ROUNDS = 2 * Math.ceil(option('rounds', 10) / 2);
const SECONDS = option('seconds', 3);

async function start(name, checkout) {
  const { env, dataDir, base } = await productionServerEnv(`image-api-ab-${name}`);
  const server = spawnServer(env, join(dataDir, 'server.log'), checkout);
  await waitForHealth(base, server);
  const token = await signIn(base, env, 'ab', 'Premium', checkout);
  const photo = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#a33' } })
    .jpeg()
    .toBuffer();
  const image = await exercise(base, token, photo);
  const url = image.links.thumbnails[0].url;
  const first = await fetch(url);
  await first.arrayBuffer();
  return { server, dataDir, url, etag: first.headers.get('etag') };
}

const pin = (server, cpu) => execFileSync('taskset', ['-apc', String(cpu), String(server.pid)], { stdio: 'ignore' });
const A = await start('a', resolve(other));
const B = await start('b', process.cwd());
try {
  for (const [path, headers] of [
    ['kept 200 px thumbnail', () => ({})],
    ['304 (If-None-Match)', (side) => ({ 'If-None-Match': side.etag })],
  ]) {
    const rounds = [];
    for (let round = -1; round < ROUNDS; round++) {
      const cpuA = round % 2 === 0 ? 0 : 1; // round -1: warm-up, not counted
      pin(A.server, cpuA);
      pin(B.server, 1 - cpuA);
      const [a, b] = await Promise.all([
        wrk(A.url, { seconds: round < 0 ? 1 : SECONDS, headers: headers(A), cpu: cpuA }),
        wrk(B.url, { seconds: round < 0 ? 1 : SECONDS, headers: headers(B), cpu: 1 - cpuA }),
      ]);
      if (round >= 0) rounds.push({ a: a.rps, b: b.rps });
    }
    const pairs = [];
    for (let i = 0; i < rounds.length; i += 2) {
      pairs.push(Math.sqrt((rounds[i].b / rounds[i].a) * (rounds[i + 1].b / rounds[i + 1].a)));
    }
    const mean = Math.exp(pairs.reduce((sum, r) => sum + Math.log(r), 0) / pairs.length);
    console.log(
      `${path}: B/A ${mean.toFixed(3)} (pairs ${pairs.map((r) => r.toFixed(3)).join(', ')}); ` +
        `req/s A ${rounds.map((r) => Math.round(r.a)).join(' ')} | B ${rounds.map((r) => Math.round(r.b)).join(' ')}`,
    );
  }
} finally {
  for (const side of [A, B]) {
    await stop(side.server);
    rmSync(side.dataDir, { recursive: true, force: true });
  }
}
