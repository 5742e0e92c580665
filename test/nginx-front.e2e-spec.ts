import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootApp, freePort, type TestApp } from './support/app.js';
import * as fixtures from './support/images.js';

const NGINX = '/usr/sbin/nginx'; // Debian's nginx-light (.ci/run installs it)

interface Front {
  url: string;
  stop(): Promise<void>;
}

/**
 * Runs the shipped deploy/nginx.conf with Debian's nginx, changed only where a test must: the upstream's
 * `server` lines point at the test server, `listen 8080` at a free local port, /var/cache/nginx at a temp folder.
 */
async function startFront(upstreamPort: number): Promise<Front> {
  const shipped = readFileSync('deploy/nginx.conf', 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'image-api-nginx-'));
  chmodSync(dir, 0o755);
  const cache = join(dir, 'cache');
  mkdirSync(cache);
  chmodSync(cache, 0o777); // as root, nginx's workers run as nobody
  const port = await freePort();
  let servers = 0;
  const conf = shipped
    .replace(/^(\s*)server [\w.-]+:\d+;\n/gm, (_line, indent: string) =>
      servers++ === 0 ? `${indent}server 127.0.0.1:${upstreamPort};\n` : '',
    )
    .replace(/listen 8080;/, `listen 127.0.0.1:${port};`)
    .replaceAll('/var/cache/nginx', cache);
  expect(servers).toBeGreaterThan(0);
  expect(conf).not.toContain('8080');
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(
    NGINX,
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/nginx-front-probe`);
      break;
    } catch {
      if (child.exitCode !== null || i > 100) throw new Error(`nginx did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('deploy/nginx.conf, the cache front (Debian nginx in front of a real server)', () => {
  beforeAll(() => {
    if (!existsSync(NGINX)) throw new Error(`${NGINX} is missing: apt-get install -y nginx-light`);
  });

  describe('in front of the API', () => {
    let t: TestApp;
    let front: Front;
    let token: string;
    afterAll(async () => {
      await front?.stop();
      await t?.close();
    });

    it('serves a permanent thumbnail from its cache (even once the API forgot the image), never an expiring link or /api', async () => {
      t = await bootApp();
      front = await startFront(Number(new URL(t.baseUrl).port));
      token = await t.login('ent', { tier: 'Enterprise' });
      const up = await t
        .http()
        .post('/api/images')
        .auth(token, { type: 'bearer' })
        .attach('file', await fixtures.jpeg(640, 480), 'x.jpg')
        .expect(201);
      const id = up.body.id as string;
      const thumb = new URL(up.body.links.thumbnails[0].url as string).pathname;
      const auth = { authorization: `Bearer ${token}` };
      const expiring = await t
        .http()
        .post(`/api/images/${id}/expiring-links`)
        .auth(token, { type: 'bearer' })
        .send({ expiresIn: 600 })
        .expect(201);
      const expiringPath = new URL(expiring.body.url as string).pathname;

      const first = await fetch(front.url + thumb, { headers: { 'x-request-id': 'front-miss-1' } });
      expect([first.status, first.headers.get('x-cache-status')]).toEqual([200, 'MISS']);
      const bytes = Buffer.from(await first.arrayBuffer());
      expect(first.headers.get('cache-control')).toBe('public, max-age=300');
      expect(first.headers.get('x-request-id')).toBe('front-miss-1'); // the API took the front's id
      const second = await fetch(front.url + thumb);
      expect([second.status, second.headers.get('x-cache-status')]).toEqual([200, 'HIT']);
      expect(Buffer.from(await second.arrayBuffer()).equals(bytes)).toBe(true);
      // A hit names no request: the id stored with it was that of the request which filled the cache.
      expect(second.headers.get('x-request-id')).toBeNull();
      // The original has a location of its own (sendfile stays on for big files): cached the same way.
      const original = new URL(up.body.links.original as string).pathname;
      const uploaded = Buffer.from(await (await fetch(t.baseUrl + original)).arrayBuffer());
      for (const status of ['MISS', 'HIT']) {
        const answer = await fetch(front.url + original);
        expect([answer.status, answer.headers.get('x-cache-status')]).toEqual([200, status]);
        expect(Buffer.from(await answer.arrayBuffer()).equals(uploaded)).toBe(true);
      }

      const viaFront = await fetch(`${front.url}${expiringPath}`);
      expect([viaFront.status, viaFront.headers.get('x-cache-status')]).toEqual([200, null]);
      await viaFront.arrayBuffer();
      expect((await fetch(`${front.url}/api/images/${id}`, { headers: auth })).status).toBe(200);

      await t.http().delete(`/api/images/${id}`).auth(token, { type: 'bearer' }).expect(204);

      // The API has forgotten it; the front still serves the permanent link until max-age runs out...
      expect((await fetch(t.baseUrl + thumb)).status).toBe(404);
      const third = await fetch(front.url + thumb);
      expect([third.status, third.headers.get('x-cache-status')]).toEqual([200, 'HIT']);
      expect(Buffer.from(await third.arrayBuffer()).equals(bytes)).toBe(true);
      // ...but an expiring link and /api are answered by the API every time.
      expect((await fetch(`${front.url}${expiringPath}`)).status).toBe(404);
      const api = await fetch(`${front.url}/api/images/${id}`, { headers: auth });
      expect([api.status, api.headers.get('x-cache-status')]).toEqual([404, null]);
    });
  });

  describe('content negotiation (a server that answers by Accept)', () => {
    let upstream: Server;
    let front: Front;
    const seen: string[] = [];
    const forwarded: IncomingHttpHeaders[] = [];
    afterAll(async () => {
      await front?.stop();
      await new Promise((resolve) => upstream?.close(resolve));
    });

    it('passes Vary: Accept through and keys the cache on a normalised Accept (avif and/or webp named with q > 0, else original)', async () => {
      upstream = createServer((req, res) => {
        if (req.url?.startsWith('/media/')) {
          seen.push(req.headers.accept ?? '');
          forwarded.push(req.headers);
        }
        res.writeHead(200, {
          'content-type': 'text/plain',
          'cache-control': 'public, max-age=300',
          vary: 'Accept',
        });
        res.end(`variant for ${req.headers.accept ?? ''}`);
      });
      const port = await freePort();
      await new Promise<void>((resolve) => upstream.listen(port, '127.0.0.1', resolve));
      front = await startFront(port);
      const path = `${front.url}/media/0b9f6f0e-4b1e-4f5e-9a5e-000000000001/sig/200.jpg`;
      const get = async (accept?: string) => {
        const res = await fetch(path, { headers: accept === undefined ? {} : { accept } });
        return { vary: res.headers.get('vary'), cache: res.headers.get('x-cache-status'), body: await res.text() };
      };

      const avif = await get('image/avif,image/webp,image/apng,*/*;q=0.8');
      expect(avif).toEqual({ vary: 'Accept', cache: 'MISS', body: 'variant for image/avif,image/webp,*/*' });
      // another browser's Accept naming both: the same entry
      expect(await get('image/webp,image/avif,*/*;q=0.5')).toEqual({ ...avif, cache: 'HIT' });
      const webp = await get('image/webp,*/*');
      expect(webp).toEqual({ vary: 'Accept', cache: 'MISS', body: 'variant for image/webp,*/*' });
      expect(await get('*/*')).toEqual({ vary: 'Accept', cache: 'MISS', body: 'variant for */*' });
      expect(await get(undefined)).toEqual({ vary: 'Accept', cache: 'HIT', body: 'variant for */*' });
      expect(await get('image/webp')).toEqual({ ...webp, cache: 'HIT' });
      // q=0 refuses: never the AVIF entry for a client that declined AVIF
      expect(await get('image/avif;q=0,image/webp')).toEqual({ ...webp, cache: 'HIT' });
      expect(await get('image/avif;q=0, */*')).toEqual({ vary: 'Accept', cache: 'HIT', body: 'variant for */*' });
      // AVIF alone is its own entry: a client that did not name WebP is never sent the WebP fallback
      expect(await get('image/avif')).toEqual({ vary: 'Accept', cache: 'MISS', body: 'variant for image/avif,*/*' });
      // wildcards name no format
      expect(await get('image/*')).toEqual({ vary: 'Accept', cache: 'HIT', body: 'variant for */*' });
      expect(seen).toEqual(['image/avif,image/webp,*/*', 'image/webp,*/*', '*/*', 'image/avif,*/*']);
      // A miss reaches the API as every other proxied request does: the client's Host and address, and a
      // kept-alive upstream connection.
      for (const headers of forwarded) {
        expect(headers).toMatchObject({ host: new URL(front.url).host, 'x-forwarded-for': '127.0.0.1' });
        expect(headers['x-forwarded-proto']).toBe('http');
        expect(headers.connection).not.toBe('close');
      }
    });
  });
});
