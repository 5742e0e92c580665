// Measures the serving path, uploads, thumbnails and listing of a real server (node dist/main.js on an
// embedded PostgreSQL under a temp DATA_DIR), each against a baseline measured the same way on the same
// machine: a bare Node static file server, and raw sharp. Prints a table; see bench/README.md.
// Usage: npm run build && node bench/run.mjs [--quick]
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import sharp from 'sharp';

const quick = process.argv.includes('--quick');
const N = quick ? 1000 : 5000;
const CONCURRENCY = 32;
const dataDir = mkdtempSync(join(tmpdir(), 'image-api-bench-'));
const port = 3700 + Math.floor(Math.random() * 200);
const base = `http://127.0.0.1:${port}`;
const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'development' };
delete env.DATABASE_URL;

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
async function load(label, count, concurrency, request) {
  const times = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const t0 = performance.now();
        await request();
        times.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return { label, count, rps: count / seconds, p50: pct(times, 50), p99: pct(times, 99) };
}
const get = async (url) => {
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
};

const photo = await sharp({ create: { width: 4000, height: 3000, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
  .jpeg({ quality: 85 })
  .toBuffer();
const photoPath = join(dataDir, 'photo.jpg');
writeFileSync(photoPath, photo);

const server = spawn(process.execPath, ['dist/main.js'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
const results = [];
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/api/health`).then((r) => r.ok, () => false))) break;
    if (i > 600) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  execFileSync(process.execPath, ['dist/cli/main.js', 'create-user', 'bench', '--password', 'bench-password', '--tier', 'Premium'], { env });
  const { accessToken } = await (await fetch(`${base}/api/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench', password: 'bench-password' }),
  })).json();
  const auth = { authorization: `Bearer ${accessToken}` };
  const upload = async () => {
    const form = new FormData();
    form.append('file', new Blob([photo]), 'photo.jpg');
    const res = await fetch(`${base}/api/images`, { method: 'POST', headers: auth, body: form });
    if (res.status !== 201) throw new Error(`upload: ${res.status}`);
    return res.json();
  };

  // Uploads of a 12 MP JPEG (validation decode + store + row), against raw sharp decoding the same file.
  const uploads = quick ? 10 : 40;
  results.push(await load('sharp: decode 12 MP JPEG to 16 px (baseline)', uploads, 2, () =>
    sharp(photoPath, { failOn: 'truncated' }).resize(16, 16, { fit: 'inside' }).raw().toBuffer()));
  results.push(await load('POST /api/images, 12 MP JPEG (2.9 MB)', uploads, 2, upload));

  // First request of a thumbnail (made on demand) against raw sharp making the same thumbnail.
  const fresh = [];
  for (let i = 0; i < (quick ? 5 : 20); i++) fresh.push(await upload());
  const original = await sharp(photoPath).toBuffer();
  results.push(await load('sharp: 12 MP JPEG → 400 px JPEG (baseline)', fresh.length, 1, () =>
    sharp(original).autoOrient().resize({ height: 400 }).jpeg({ quality: 82, mozjpeg: true }).toBuffer()));
  // The upload jobs make 200 and 400; wait for them, then remove the 400s so that each request makes one.
  const thumb400 = (image) => join(dataDir, 'files', 'images', image.id, 'h400');
  for (const image of fresh) {
    while (!existsSync(thumb400(image))) await new Promise((r) => setTimeout(r, 20));
    rmSync(thumb400(image));
  }
  let k = 0;
  results.push(await load('GET 400 px thumbnail link, made on this request', fresh.length, 1, () => get(fresh[k++].links.thumbnails[1].url)));

  // Serving a kept thumbnail, against a bare static file server sending the same bytes.
  const link = fresh[0].links.thumbnails[0].url;
  const bytes = Buffer.from(await (await fetch(link)).arrayBuffer());
  const filePath = join(dataDir, 'thumb.jpg');
  writeFileSync(filePath, bytes);
  const size = statSync(filePath).size;
  const staticServer = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': size });
    createReadStream(filePath).pipe(res);
  }).listen(0, '127.0.0.1');
  await once(staticServer, 'listening');
  const staticUrl = `http://127.0.0.1:${staticServer.address().port}/thumb.jpg`;
  results.push(await load(`static file server, ${size} B (baseline)`, N, CONCURRENCY, () => get(staticUrl)));
  results.push(await load(`GET permanent thumbnail link, ${size} B`, N, CONCURRENCY, () => get(link)));
  staticServer.close();

  // Listing: page 1 against a page 9 000 images deep (keyset pagination: both should cost the same).
  const { startEmbeddedPostgres } = await import('../dist/database/embedded-postgres.js');
  const database = await startEmbeddedPostgres(dataDir); // reuses the server's running instance
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  await db.query(
    `INSERT INTO images (id, "ownerId", title, description, format, width, height, bytes, "createdAt")
     SELECT gen_random_uuid(), "ownerId", 'copy ' || n, NULL, format, width, height, bytes, "createdAt" - n * interval '1 second'
       FROM images, generate_series(1, 10000) AS n WHERE id = $1`,
    [fresh[0].id],
  );
  await db.end();
  const listing = async (url) => {
    const res = await fetch(url, { headers: auth });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    return body;
  };
  let cursor = null;
  for (let i = 0; i < 90; i++) cursor = (await listing(`${base}/api/images?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).nextCursor;
  const listCount = quick ? 200 : 1000;
  results.push(await load('GET /api/images?limit=20, page 1', listCount, 8, () => listing(`${base}/api/images?limit=20`)));
  results.push(await load('GET /api/images?limit=20, 9 000 images deep', listCount, 8, () => listing(`${base}/api/images?limit=20&cursor=${cursor}`)));
  const rss = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(server.pid)]).toString().trim()) / 1024;
  console.log(`server RSS after the run: ${rss.toFixed(0)} MiB`);
} finally {
  server.kill('SIGINT');
  await once(server, 'exit');
  rmSync(dataDir, { recursive: true, force: true });
}

console.log('\n| what | requests | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.label} | ${r.count} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`);
