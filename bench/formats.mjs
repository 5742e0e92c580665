// Thumbnail formats (issue 19): bytes of the 200 and 400 px thumbnails per format on real photographs, what
// AVIF costs per image in the background, and serving req/s per format through a real server (wrk, one
// Accept header per format, interleaved rounds). Photographs: the sample images of Debian's python3-skimage
// (apt-get install -y python3-skimage), re-encoded as JPEG q92 in memory to stand for camera uploads; nothing
// is written to the repository.
// Usage: npm run bench:formats [-- --quick]   (SKIMAGE_DATA=folder to read the photographs elsewhere)
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageProcessor } from '../dist/media/image-processor.js';
import { json, signIn, upload } from './lib/client.mjs';
import { productionServerEnv, spawnServer, stop, waitForHealth } from './lib/proc.mjs';
import { requireWrk, wrk } from './lib/wrk.mjs';

const quick = process.argv.includes('--quick');
const DATA = process.env.SKIMAGE_DATA ?? '/usr/lib/python3/dist-packages/skimage/data';
const PHOTOS = [
  'astronaut.png',
  'chelsea.png',
  'coffee.png',
  'motorcycle_left.png',
  'rocket.jpg',
  'hubble_deep_field.jpg',
  'retina.jpg',
  'camera.png',
];
const HEIGHTS = [200, 400];
const log = (message) => console.error(`bench: ${message}`);
if (!existsSync(join(DATA, PHOTOS[0]))) {
  console.error(`bench: no sample photographs in ${DATA}.\n  Debian/Ubuntu: sudo apt-get install -y python3-skimage`);
  process.exit(2);
}
requireWrk();

// ---- bytes per format, and the CPU each kind of work costs per image (the project's own ImageProcessor) ----
const processor = new ImageProcessor({ maxInputPixels: 50_000_000 });
const originals = await Promise.all(
  PHOTOS.map(async (name) => ({
    name,
    data: await sharp(readFileSync(join(DATA, name)))
      .jpeg({ quality: 92 })
      .toBuffer(),
  })),
);
const bytes = {}; // `${height} ${format}` → total bytes over the photos
const cpu = { 'jpeg (upload today)': 0, 'jpeg + webp (upload)': 0, 'avif (background job)': 0 };
const cpuMs = (work) => async () => {
  const before = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(before);
  return [result, (used.user + used.system) / 1000];
};
const repeat = quick ? 1 : 3;
for (const { name, data } of originals) {
  const meta = await sharp(data).metadata();
  const [all] = await cpuMs(() => processor.thumbnails(data, HEIGHTS, ['jpeg', 'webp', 'avif']))();
  for (const t of all.thumbnails)
    bytes[`${t.height} ${t.format}`] = (bytes[`${t.height} ${t.format}`] ?? 0) + t.data.length;
  for (const [label, formats] of [
    ['jpeg (upload today)', ['jpeg']],
    ['jpeg + webp (upload)', ['jpeg', 'webp']],
    ['avif (background job)', ['avif']],
  ]) {
    for (let i = 0; i < repeat; i++)
      cpu[label] += (await cpuMs(() => processor.thumbnails(data, HEIGHTS, formats))())[1] / repeat;
  }
  log(`${name}: ${meta.width}×${meta.height}, placeholder ${Buffer.from(all.placeholder, 'base64').length} bytes`);
}
const table = [
  '| thumbnail | JPEG (q82, mozjpeg) | WebP (q80) | AVIF (q50, effort 2) | WebP vs JPEG | AVIF vs JPEG |',
  '|---|---|---|---|---|---|',
];
for (const height of HEIGHTS) {
  const mean = (format) => bytes[`${height} ${format}`] / originals.length;
  const saving = (format) => `${((1 - mean(format) / mean('jpeg')) * 100).toFixed(0)}% smaller`;
  table.push(
    `| ${height} px, mean of ${originals.length} photos | ${mean('jpeg').toFixed(0)} B | ${mean('webp').toFixed(0)} B | ${mean('avif').toFixed(0)} B | ${saving('webp')} | ${saving('avif')} |`,
  );
}
const cpuTable = ['| work per image (200 + 400 px, decode included) | CPU ms |', '|---|---|'];
for (const [label, total] of Object.entries(cpu))
  cpuTable.push(`| ${label} | ${(total / originals.length).toFixed(0)} |`);

// ---- serving req/s per format: one kept 200 px thumbnail, permanent link, Accept per format ----
const { env, dataDir, base } = await productionServerEnv('image-api-bench-formats');
const server = spawnServer(env, join(dataDir, 'server.log'));
const serving = ['| Accept | served | bytes | req/s | p50 / p99 ms |', '|---|---|---|---|---|'];
try {
  await waitForHealth(base, server);
  const token = await signIn(base, env, 'bench-formats', 'Premium');
  const image = await json(await upload(base, token, originals[0].data));
  const url = image.links.thumbnails.find((t) => t.height === 200).url;
  const accepts = {
    none: undefined,
    'image/webp,*/*': 'image/webp,*/*',
    'image/avif,image/webp,*/*': 'image/avif,image/webp,*/*',
  };
  // The AVIF is made in the background: wait until it is served.
  for (let i = 0; ; i++) {
    const res = await fetch(url, { headers: { accept: 'image/avif' } });
    await res.arrayBuffer();
    if (res.headers.get('content-type') === 'image/avif') break;
    if (i > 600) throw new Error('the AVIF thumbnail never appeared');
    await new Promise((r) => setTimeout(r, 100));
  }
  const rounds = quick ? 1 : 3;
  const seconds = quick ? 2 : 5;
  const results = Object.fromEntries(Object.keys(accepts).map((k) => [k, []]));
  for (const accept of Object.values(accepts)) await wrk(url, { seconds: 1, headers: accept ? { accept } : {} }); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [label, accept] of Object.entries(accepts))
      results[label].push(await wrk(url, { seconds, headers: accept ? { accept } : {} }));
  }
  for (const [label, accept] of Object.entries(accepts)) {
    const res = await fetch(url, { headers: accept ? { accept } : {} });
    const body = Buffer.from(await res.arrayBuffer());
    const mean = (key) => results[label].reduce((a, r) => a + r[key], 0) / rounds;
    serving.push(
      `| ${label} | ${res.headers.get('content-type')} | ${body.length} | ${mean('rps').toFixed(0)} | ${mean('p50').toFixed(2)} / ${mean('p99').toFixed(2)} |`,
    );
    log(`${label}: ${mean('rps').toFixed(0)} req/s`);
  }
} finally {
  await stop(server);
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(
  [
    `## Thumbnail formats (${new Date().toISOString().slice(0, 16)} UTC${quick ? ', --quick' : ''})`,
    '',
    ...table,
    '',
    ...cpuTable,
    '',
    ...serving,
  ].join('\n'),
);
