// The bench: a real server (node dist/main.js on an embedded PostgreSQL under a temp DATA_DIR, started as
// `npm start` starts it) against bare-platform baselines on the same machine, in the same run, interleaved.
// Load comes from wrk (never the bottleneck); uploads from client processes. See bench/README.md.
// Usage: npm run bench [-- --quick] [-- --million]
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import sharp from 'sharp';
import {
  cpuMs,
  freePort,
  peakMiB,
  productionServerEnv,
  requestLines,
  resetPeak,
  rssMiB,
  runNodeJson,
  settle,
  spawnServer,
  startNodeServer,
  stop,
  waitForHealth,
} from './lib/proc.mjs';
import { exercise, json, request, signIn, upload } from './lib/client.mjs';
import { hasNginx, startFront, startNginx } from './lib/nginx.mjs';
import { answeredBy, requireWrk, sideBySide } from './lib/wrk.mjs';

requireWrk();
const quick = process.argv.includes('--quick');
const million = process.argv.includes('--million');
const ROUNDS = quick ? 1 : 6;
const SECONDS = quick ? 2 : 3;
const UPLOADS = quick ? 8 : 40;
const LISTED = million ? 1_000_000 : 10_000;
const timing = { rounds: ROUNDS, seconds: SECONDS };
// --only=uploads,memory,serving,listing runs some of the sections (all by default).
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const runs = (section) => !only || only.includes(section);

// One process (WEB_CONCURRENCY=1): the ratios below are per process (the cluster has a row of its own).
const { env, dataDir, port, base } = await productionServerEnv('image-api-bench');
const serverLog = join(dataDir, 'server.log');

const log = (message) => console.error(`bench: ${message}`);
const rows = [];
const notes = [];
const children = [];

/** Before a section is measured: the server's background work from the earlier ones is done (see settle). */
async function quiet(section) {
  const waited = await settle(server.pid);
  if (waited > 1.5) notes.push(`${section}: waited ${waited.toFixed(0)} s for the server to go quiet first`);
}
function record(path, result, baselineName, target) {
  const { ratio } = result; // the median of the rounds' ratios (sideBySide)
  rows.push({ path, baselineName, target, ...result });
  log(`${path}: ${result.project.rps.toFixed(0)} vs ${result.baseline.rps.toFixed(0)} req/s (${ratio.toFixed(2)})`);
}

const server = spawnServer(env, serverLog);
children.push(server);
try {
  await waitForHealth(base, server);
  const pid = server.pid;
  const idleRss = rssMiB(pid);
  const uploader = await signIn(base, env, 'bench-uploader', 'Premium');
  let uploadRss; // { before, peak, uploads }
  let pngBatches = [];
  // Uploads first, on a server that has just started, so that their peak RSS is theirs: the serving and
  // listing loads that follow grow the JavaScript heap on their own.

  if (runs('uploads')) {
    // ---- uploads of a 12 MP JPEG until both thumbnails serve, against raw sharp; peak RSS meanwhile ----
    const photo = await sharp({
      create: { width: 4000, height: 3000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 16 } },
    })
      .jpeg({ quality: 85 })
      .toBuffer();
    const photoPath = join(dataDir, 'photo.jpg');
    writeFileSync(photoPath, photo);
    notes.push(`upload: a 4000×3000 JPEG of ${(photo.length / 1e6).toFixed(1)} MB`);
    await runNodeJson('bench/upload-client.mjs', [base, uploader, photoPath, '2', '2']); // warm-up, not counted
    const uploadRounds = quick ? 1 : 4; // short rounds, alternating: load drift falls on both sides
    const per = UPLOADS / uploadRounds;
    const up = { project: { images: 0, seconds: 0, cpuMs: 0 }, baseline: { images: 0, seconds: 0, cpuMs: 0 } };
    const before = rssMiB(pid);
    resetPeak(pid);
    for (let round = 0; round < uploadRounds; round++) {
      const b = await runNodeJson('bench/baseline-sharp.mjs', [photoPath, String(per), '2']);
      const cpuBefore = cpuMs(pid);
      const p = await runNodeJson('bench/upload-client.mjs', [base, uploader, photoPath, String(per), '2']);
      p.cpuMs = cpuMs(pid) - cpuBefore;
      for (const [side, r] of [
        ['baseline', b],
        ['project', p],
      ]) {
        up[side].images += r.images;
        up[side].seconds += r.seconds;
        up[side].cpuMs += r.cpuMs;
      }
    }
    uploadRss = { before, peak: peakMiB(pid), uploads: up.project.images };
    const ips = (r) => r.images / r.seconds;
    rows.push({
      path: `upload 12 MP JPEG until 200 + 400 px serve (2 clients, ${up.project.images} uploads)`,
      baselineName: 'raw sharp, header + both thumbnails',
      target: 0.8,
      ratio: ips(up.project) / ips(up.baseline),
      unit: 'images/s',
      project: { rps: ips(up.project) },
      baseline: { rps: ips(up.baseline) },
    });
    log(`uploads: ${ips(up.project).toFixed(1)} vs ${ips(up.baseline).toFixed(1)} images/s`);
    // CPU time per image does not depend on what else the machine runs: server process (all its threads)
    // against the baseline process.
    notes.push(
      `upload CPU per image: server ${(up.project.cpuMs / up.project.images).toFixed(0)} ms, ` +
        `raw sharp ${(up.baseline.cpuMs / up.baseline.images).toFixed(0)} ms`,
    );
  }

  if (runs('memory')) {
    // ---- issue 10: eight concurrent 6000×6000 16-bit interlaced PNGs; and eight 5000×5000 (under the budget) ----
    const batch = async (size) => {
      const png = await sharp({ create: { width: size, height: size, channels: 3, background: '#5a7' } })
        .toColourspace('rgb16')
        .png({ progressive: true, compressionLevel: 9 })
        .toBuffer();
      resetPeak(pid);
      const statuses = await Promise.all(
        Array.from({ length: 8 }, async () => (await upload(base, uploader, png, 'deep.png')).status),
      );
      return { size, bytes: png.length, statuses, peak: peakMiB(pid) };
    };
    pngBatches = [await batch(6000), await batch(5000)];
  }

  if (runs('serving')) {
    // ---- serving: a kept 200 px thumbnail (about 2 KB), permanent and expiring links, and the 304 path ----
    const enterprise = await signIn(base, env, 'bench-serving', 'Enterprise');
    const smooth = await sharp(randomBytes(8 * 6 * 3), { raw: { width: 8, height: 6, channels: 3 } })
      .resize(1600, 1200)
      .jpeg({ quality: 80 })
      .toBuffer();
    const image = await json(await upload(base, enterprise, smooth));
    const permanent = image.links.thumbnails.find((t) => t.height === 200).url;
    // Both servers measured on links below (this one and the sampled one) have served the API first, alike.
    const photo = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#a33' } })
      .jpeg()
      .toBuffer();
    await exercise(base, enterprise, photo);
    const expiring = (
      await json(
        await request(`${base}/api/images/${image.id}/expiring-links`, {
          method: 'POST',
          headers: { authorization: `Bearer ${enterprise}`, 'content-type': 'application/json' },
          body: JSON.stringify({ expiresIn: 30000, variant: '200' }),
        }),
      )
    ).url;
    // What the project answers, headers included: the floor sends the very same bytes and headers.
    const wireHeaders = (res) =>
      Object.fromEntries(
        [...res.headers].filter(([name]) => !['date', 'connection', 'keep-alive', 'transfer-encoding'].includes(name)),
      );
    const first = await request(permanent);
    const thumbBytes = Buffer.from(await first.arrayBuffer());
    const etag = first.headers.get('etag');
    const notModifiedAnswer = await request(permanent, { headers: { 'if-none-match': etag } });
    if (notModifiedAnswer.status !== 304) throw new Error('no 304 from the project');
    const thumbFile = join(dataDir, 'thumb-200.jpg');
    writeFileSync(thumbFile, thumbBytes);
    const floor = await startNodeServer('bench/baseline-buffer.mjs', [
      thumbFile,
      JSON.stringify(wireHeaders(first)),
      JSON.stringify(wireHeaders(notModifiedAnswer)),
    ]);
    children.push(floor.child);
    const floorUrl = `http://127.0.0.1:${floor.port}/thumb.jpg`;
    const check = await request(floorUrl);
    if (!Buffer.from(await check.arrayBuffer()).equals(thumbBytes)) throw new Error('the floor serves other bytes');
    notes.push(`thumbnail: ${thumbBytes.length} bytes; headers: ${Object.keys(wireHeaders(first)).join(', ')}`);

    await quiet('serving');
    const links = { threads: 1, connections: 50 };
    // The CPU each side's process tree used per request is reported next to req/s (see sideBySide).
    const project = { ...links, pid: server.pid };
    const floorSide = { url: floorUrl, ...links, pid: floor.child.pid };
    record(
      'kept 200 px thumbnail, permanent link',
      await sideBySide({ url: permanent, ...project }, floorSide, timing),
      'bare node:http, same bytes from a Buffer, same headers',
      0.5,
    );
    if (hasNginx()) {
      const nginx = await startNginx(thumbFile, wireHeaders(first), 'image/jpeg');
      try {
        record(
          'kept 200 px thumbnail, permanent link',
          await sideBySide({ url: permanent, ...project }, { url: nginx.url, ...links, pid: nginx.pid }, timing),
          'nginx, 1 worker, from disk (sendfile off, descriptor cache)',
          null, // an anchor, not a target
        );
        // The cache front (deploy/nginx.conf) in front of this server: a hot thumbnail is nginx's from its cache.
        const front = await startFront(port);
        try {
          const viaFront = `${front.base}${new URL(permanent).pathname}`;
          const statuses = [];
          for (let i = 0; i < 2; i++) {
            const res = await request(viaFront);
            if (!Buffer.from(await res.arrayBuffer()).equals(thumbBytes))
              throw new Error('the front serves other bytes');
            statuses.push(res.headers.get('x-cache-status'));
          }
          if (statuses[1] !== 'HIT') throw new Error(`the front did not cache the thumbnail: ${statuses.join(', ')}`);
          record(
            'kept 200 px thumbnail through the cache front (deploy/nginx.conf, 1 worker)',
            await sideBySide(
              { url: viaFront, ...links, pid: front.pid },
              { url: nginx.url, ...links, pid: nginx.pid },
              timing,
            ),
            'nginx, 1 worker, from disk (sendfile off, descriptor cache)',
            0.9,
          );
        } finally {
          await front.stop();
        }
      } finally {
        await nginx.stop();
      }
    } else notes.push('nginx not installed (apt-get install -y nginx-light): its anchor row is missing');
    record(
      'same thumbnail, expiring link',
      await sideBySide({ url: expiring, ...project }, { url: permanent, ...project }, timing),
      'the permanent link',
      0.9,
    );
    const notModified = { ...links, headers: { 'If-None-Match': etag } };
    record(
      '304 (If-None-Match), permanent link',
      await sideBySide({ ...project, url: permanent, ...notModified }, { ...floorSide, ...notModified }, timing),
      'bare node:http 304, same headers',
      0.6,
    );
    // The same floor doing what the issue requires of every request (request id, log line, metric): how much of
    // the 304's gap those cost, and how much is the project's own.
    const observed = await startNodeServer(
      'bench/baseline-buffer.mjs',
      [thumbFile, JSON.stringify(wireHeaders(first)), JSON.stringify(wireHeaders(notModifiedAnswer))],
      { ...process.env, OBSERVED_LOG: join(dataDir, 'observed-floor.log') },
    );
    children.push(observed.child);
    record(
      '304 (If-None-Match), permanent link',
      await sideBySide(
        { ...project, url: permanent, ...notModified },
        { url: `http://127.0.0.1:${observed.port}/thumb.jpg`, ...links, pid: observed.child.pid, ...notModified },
        timing,
      ),
      'bare node:http 304 + request id, log line, histogram',
      null, // an anchor, not a target
    );
    await stop(observed.child);

    // The same two paths from a second server (this DATA_DIR, its database) that logs one successful link
    // answer in a hundred (LOG_LINK_SAMPLE=0.01: the sampled access log issue 21 allows; errors, aborted links
    // and API requests keep every line, every answer keeps its id and its metric).
    const sampledPort = await freePort();
    const sampledBase = `http://127.0.0.1:${sampledPort}`;
    const sampledLog = join(dataDir, 'sampled.log');
    const sampled = spawnServer({ ...env, LOG_LINK_SAMPLE: '0.01', PORT: String(sampledPort) }, sampledLog);
    children.push(sampled);
    await waitForHealth(sampledBase, sampled);
    await exercise(sampledBase, await signIn(sampledBase, env, 'bench-sampled', 'Enterprise'), photo);
    const sampledLink = `${sampledBase}${new URL(permanent).pathname}`;
    const again = await request(sampledLink);
    if (!Buffer.from(await again.arrayBuffer()).equals(thumbBytes))
      throw new Error('the second server serves other bytes');
    await settle(sampled.pid);
    const sampledSide = { url: sampledLink, ...links, pid: sampled.pid };
    record(
      'kept 200 px thumbnail, link lines sampled (LOG_LINK_SAMPLE=0.01)',
      await sideBySide(sampledSide, floorSide, timing),
      'bare node:http, same bytes from a Buffer, same headers',
      0.5,
    );
    record(
      '304 (If-None-Match), link lines sampled (LOG_LINK_SAMPLE=0.01)',
      await sideBySide({ ...sampledSide, ...notModified }, { ...floorSide, ...notModified }, timing),
      'bare node:http 304, same headers',
      0.6,
    );
    await stop(sampled);
    const sampledLines = requestLines(sampledLog);
    const sampledAnswers = answeredBy(sampledBase);
    notes.push(
      `LOG_LINK_SAMPLE=0.01: ${sampledLines} request lines for ${sampledAnswers} link answers wrk saw (${((100 * sampledLines) / sampledAnswers).toFixed(2)} %)`,
    );
    await stop(floor.child);
  }

  if (runs('listing')) {
    // ---- listing: a user with LISTED images, inserted by SQL ----
    const lister = await signIn(base, env, 'bench-lister', 'Premium');
    const { startEmbeddedPostgres } = await import('../dist/database/embedded-postgres.js');
    const database = await startEmbeddedPostgres(dataDir); // the server's running instance
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const [{ id: listerId }] = (await db.query(`SELECT id FROM users WHERE username = 'bench-lister'`)).rows;
    log(`inserting ${LISTED} images`);
    await db.query(
      `INSERT INTO images (id, "ownerId", title, description, format, width, height, bytes, "createdAt")
     SELECT gen_random_uuid(), $1, 'image ' || n, NULL, 'jpeg', 4000, 3000, 2900000,
            date_trunc('milliseconds', now()) - n * interval '1 second'
       FROM generate_series(1, $2::int) AS n`,
      [listerId, LISTED],
    );
    await db.query('ANALYZE images');
    const depth = million ? 900_000 : 9_000;
    const [deepRow] = (
      await db.query(
        `SELECT "createdAt", id FROM images WHERE "ownerId" = $1 ORDER BY "createdAt" DESC, id DESC OFFSET $2 LIMIT 1`,
        [listerId, depth - 1],
      )
    ).rows;
    await db.end();
    const deepCursor = Buffer.from(JSON.stringify([deepRow.createdAt.toISOString(), deepRow.id])).toString('base64url');
    const listServer = await startNodeServer('bench/baseline-list.mjs', [], {
      ...process.env,
      DATABASE_URL: database.url,
      OWNER_ID: listerId,
      LINK_SECRET: env.LINK_SECRET,
      PUBLIC_URL: base,
      HEIGHTS: '200,400',
      ORIGINAL: '1',
    });
    children.push(listServer.child);
    const authHeader = { Authorization: `Bearer ${lister}` };
    const pageOf = async (url, headers = {}) => json(await request(url, { headers }));
    // The project's own cursor for the deep page (its format is its own business): walk there when it differs.
    let projectDeep = `${base}/api/images?limit=20&cursor=${deepCursor}`;
    const probe = await request(projectDeep, { headers: authHeader });
    if (probe.status !== 200) {
      let cursor = null;
      for (let i = 0; i < 90; i++)
        cursor = (await pageOf(`${base}/api/images?limit=100${cursor ? `&cursor=${cursor}` : ''}`, authHeader))
          .nextCursor;
      projectDeep = `${base}/api/images?limit=20&cursor=${cursor}`;
      notes.push('deep page: 9 000 images deep (the project’s cursor differs from the baseline’s; walked there)');
    } else await probe.arrayBuffer();
    const listBase = `http://127.0.0.1:${listServer.port}/api/images`;
    const same = isDeepStrictEqual(
      await pageOf(`${base}/api/images?limit=20`, authHeader),
      await pageOf(`${listBase}?limit=20`),
    );
    if (!same) notes.push('WARNING: the listing baseline’s page 1 differs from the project’s');
    await quiet('listing');
    const lists = { threads: 1, connections: 20 };
    record(
      `GET /api/images?limit=20, page 1 (${LISTED} images)`,
      await sideBySide(
        { url: `${base}/api/images?limit=20`, ...lists, headers: authHeader },
        { url: `${listBase}?limit=20`, ...lists },
        timing,
      ),
      'node:http + pg',
      0.6,
    );
    record(
      `GET /api/images?limit=20, ${depth} deep`,
      await sideBySide(
        { url: projectDeep, ...lists, headers: authHeader },
        { url: `${listBase}?limit=20&cursor=${deepCursor}`, ...lists },
        timing,
      ),
      'node:http + pg',
      0.6,
    );
    await stop(listServer.child);

    // ---- every core: the same listing from WEB_CONCURRENCY=2 (a second server on this DATA_DIR and its database)
    const clusterPort = await freePort();
    const clusterBase = `http://127.0.0.1:${clusterPort}`;
    const cluster = spawnServer(
      { ...env, WEB_CONCURRENCY: '2', PORT: String(clusterPort), PUBLIC_URL: base },
      join(dataDir, 'cluster.log'),
    );
    children.push(cluster);
    await waitForHealth(clusterBase, cluster);
    await new Promise((r) => setTimeout(r, 3000)); // the second worker, too
    record(
      `GET /api/images?limit=20, page 1: WEB_CONCURRENCY=2 vs 1 (${availableParallelism()} cores)`,
      await sideBySide(
        { url: `${clusterBase}/api/images?limit=20`, ...lists, headers: authHeader },
        { url: `${base}/api/images?limit=20`, ...lists, headers: authHeader },
        // The one-process server has served lists for half a minute by now: its JIT is warm, the workers' is not.
        { ...timing, warmup: 5 },
      ),
      'the same server, one process',
      1.5,
    );
    await stop(cluster, 'SIGTERM');
  }

  // ---- report ----
  const f = (n, d = 0) => (n === undefined ? '' : n.toFixed(d));
  console.log(
    `\n${new Date().toISOString()} · ${cpus().length} × ${cpus()[0].model.trim()} (${availableParallelism()} usable), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}` +
      ` · ${ROUNDS} interleaved rounds of ${SECONDS} s per side, ratio = the median of the rounds' ratios${quick ? ' (--quick)' : ''}\n`,
  );
  console.log(
    '| path | project | baseline (same run) | baseline | ratio | target | project p50 / p99 ms | baseline p50 / p99 ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const unit = r.unit ?? 'req/s';
    const lat = (s) => (s.p50 === undefined ? '' : `${f(s.p50, 2)} / ${f(s.p99, 2)}`);
    const ok = r.target === null ? '' : r.ratio >= r.target ? '✓' : '✗';
    console.log(
      `| ${r.path} | ${f(r.project.rps, unit === 'req/s' ? 0 : 1)} ${unit} | ${r.baselineName} | ${f(r.baseline.rps, unit === 'req/s' ? 0 : 1)} ${unit} | ${f(r.ratio, 2)} | ${r.target === null ? '(none)' : `≥ ${r.target.toFixed(2)} ${ok}`} | ${lat(r.project)} | ${lat(r.baseline)} |`,
    );
  }
  console.log('\nper-round req/s (project | baseline = ratio):');
  for (const r of rows)
    if (r.project.rounds)
      console.log(
        `  ${r.path}: ${r.project.rounds.map((p, i) => `${p} | ${r.baseline.rounds[i]} = ${f(p / r.baseline.rounds[i], 2)}`).join(', ')}`,
      );
  console.log("\nCPU per request over the rounds, µs, each side's process tree (project | baseline):");
  for (const r of rows)
    if (r.project.cpuUs !== undefined && r.baseline.cpuUs !== undefined)
      console.log(`  ${r.path} (${r.baselineName}): ${f(r.project.cpuUs, 1)} | ${f(r.baseline.cpuUs, 1)}`);
  console.log(`\nserver RSS: ${f(idleRss)} MiB idle after start`);
  if (uploadRss) {
    const ok = uploadRss.peak <= 300 ? '✓' : '✗';
    console.log(
      `server RSS: ${f(uploadRss.before)} MiB before the uploads; peak ${f(uploadRss.peak)} MiB over ${uploadRss.uploads} uploads (target ≤ 300 MiB ${ok})`,
    );
  }
  for (const b of pngBatches) {
    const counts = Object.entries(b.statuses.reduce((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {}))
      .map(([s, n]) => `${n}× ${s}`)
      .join(', ');
    console.log(
      `eight concurrent ${b.size}×${b.size} 16-bit interlaced PNGs (${(b.bytes / 1024).toFixed(0)} KB each): ${counts}; server peak RSS ${f(b.peak)} MiB (bound < 1024 MiB ${b.peak < 1024 ? '✓' : '✗'})`,
    );
  }
  for (const note of notes) console.log(`note: ${note}`);
} finally {
  for (const child of children.reverse()) await stop(child, child === server ? 'SIGINT' : 'SIGTERM');
  // The server logged as in production (LOG_LEVEL=log): one line per request, all of wrk's included. A log
  // that drops lines under load would make every path look faster than it is.
  const lines = requestLines(serverLog);
  const answered = answeredBy(base);
  console.log(
    `note: ${lines} request lines in the one-process server's log, for ${answered} requests wrk saw answered (${lines >= answered ? 'none lost ✓' : `${answered - lines} lost ✗`})`,
  );
  rmSync(dataDir, { recursive: true, force: true });
}
