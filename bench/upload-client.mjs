// Upload client, in its own process: COUNT uploads of FILE, CONCURRENCY at a time; each counts once its 200
// and 400 px thumbnails serve (200). Prints {images, seconds}. Usage: node bench/upload-client.mjs BASE TOKEN FILE COUNT CONCURRENCY
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const [base, token, file, count, concurrency] = process.argv.slice(2);
const data = readFileSync(file);
const auth = { authorization: `Bearer ${token}` };

async function uploadUntilServed() {
  const form = new FormData();
  form.append('file', new Blob([data]), 'photo.jpg');
  const res = await fetch(`${base}/api/images`, { method: 'POST', headers: auth, body: form });
  const image = await res.json();
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(image)}`);
  for (const height of [200, 400]) {
    const url = image.links.thumbnails.find((t) => t.height === height)?.url;
    if (!url) throw new Error(`no ${height} px link: is the user Premium?`);
    for (let attempt = 0; ; attempt++) {
      const thumb = await fetch(url);
      await thumb.arrayBuffer();
      if (thumb.status === 200) break;
      if (attempt > 500) throw new Error(`${url}: ${thumb.status}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
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
