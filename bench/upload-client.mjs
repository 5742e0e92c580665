// Upload client, in its own process: COUNT uploads of FILE, CONCURRENCY at a time; each counts once its 200
// and 400 px thumbnails serve (200, fetched together as a browser would). The multipart body is built once and
// written as is, over kept-alive connections, so the client costs next to nothing (no per-request encoding).
// Prints {images, seconds}. Usage: node bench/upload-client.mjs BASE TOKEN FILE COUNT CONCURRENCY
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

const [base, token, file, count, concurrency] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: 4 * Number(concurrency) });
const boundary = '----bench-upload-boundary-7d1f0c';
const body = Buffer.concat([
  Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  ),
  readFileSync(file),
  Buffer.from(`\r\n--${boundary}--\r\n`),
]);

function send(url, { method = 'GET', headers = {}, data } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function served(url) {
  for (let attempt = 0; ; attempt++) {
    const { status } = await send(url);
    if (status === 200) return;
    if (attempt > 500) throw new Error(`${url}: ${status}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function uploadUntilServed() {
  const res = await send(`${base}/api/images`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': body.length,
    },
    data: body,
  });
  const image = JSON.parse(res.body.toString('utf8'));
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(image)}`);
  const urls = [200, 400].map((height) => image.links.thumbnails.find((t) => t.height === height)?.url);
  if (urls.some((url) => !url)) throw new Error('no 200 and 400 px links: is the user Premium?');
  await Promise.all(urls.map(served));
}

let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < Number(count)) {
      next++;
      await uploadUntilServed();
    }
  }),
);
console.log(JSON.stringify({ images: Number(count), seconds: (performance.now() - started) / 1000 }));
agent.destroy();
