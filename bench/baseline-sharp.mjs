// Baseline for uploads: raw sharp in-process, CONCURRENCY at a time, reading the file's header and making its
// 200 and 400 px thumbnails in JPEG and WebP (same encoder settings as the project) from the same file. No HTTP, no storage.
// Prints {images, seconds}. Usage: node bench/baseline-sharp.mjs FILE COUNT CONCURRENCY
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';

const [file, count, concurrency] = process.argv.slice(2);
sharp.cache(false); // every upload is a new file: no cached decode

async function thumbnails() {
  const input = sharp(file);
  await input.metadata();
  // Like the upload (THUMBNAIL_FORMATS default): each height in the original's format and in WebP.
  await Promise.all(
    [200, 400].flatMap((height) => [
      input.clone().autoOrient().resize({ height }).jpeg({ quality: 82, mozjpeg: true }).toBuffer(),
      input.clone().autoOrient().resize({ height }).webp({ quality: 80, effort: 4 }).toBuffer(),
    ]),
  );
}

let next = 0;
const cpu = process.cpuUsage();
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < Number(count)) {
      next++;
      await thumbnails();
    }
  }),
);
const { user, system } = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    images: Number(count),
    seconds: (performance.now() - started) / 1000,
    cpuMs: (user + system) / 1000,
  }),
);
