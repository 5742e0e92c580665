import { jest } from '@jest/globals';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { JobQueue } from '../src/jobs/job-queue.js';
import { ImageProcessor } from '../src/media/image-processor.js';
import { PrincipalCache } from '../src/auth/principal-cache.service.js';
import { ImagesRepository } from '../src/images/images.repository.js';
import { ImagesService } from '../src/images/images.service.js';
import { DatabaseNotifications } from '../src/notifications/database-notifications.service.js';
import { bootApp, type TestApp } from './support/app.js';
import * as fixtures from './support/images.js';

interface ImageBody {
  id: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  title: string | null;
  description: string | null;
  createdAt: string;
  links: { thumbnails: Array<{ height: number; url: string }>; original: string | null };
}

describe('images', () => {
  let t: TestApp;
  let tokens: Record<string, string>;

  beforeAll(async () => {
    // 20 parallel uploads by one user below: beyond the default bound of 8 in progress per user, the rest wait.
    t = await bootApp({ env: { MAX_UPLOAD_BYTES: String(2 * 1024 * 1024) } });
    tokens = {
      basic: await t.login('basic-user'),
      premium: await t.login('premium-user', { tier: 'Premium' }),
      enterprise: await t.login('enterprise-user', { tier: 'Enterprise' }),
      other: await t.login('other-user', { tier: 'Premium' }),
    };
  });
  afterAll(() => t.close());

  const upload = (token: string, data: Buffer, fields: Record<string, string> = {}, filename = 'photo.bin') => {
    const req = t.http().post('/api/images').auth(token, { type: 'bearer' });
    for (const [k, v] of Object.entries(fields)) void req.field(k, v);
    return req.attach('file', data, { filename, contentType: 'application/octet-stream' });
  };
  const uploadOk = async (token: string, data: Buffer, fields: Record<string, string> = {}) =>
    (await upload(token, data, fields).expect(201)).body as ImageBody;
  const fetchLink = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });
  const countImages = async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM images`))[0].n as number;
  const storedImageDirs = () => {
    const dir = join(t.config.dataDir, 'files', 'images');
    return existsSync(dir) ? readdirSync(dir).length : 0;
  };
  const uploadsLeft = () => readdirSync(join(t.config.dataDir, 'uploads')).length;
  /** An administrator's change made in SQL; awaits its NOTIFY so the next request must see it. */
  const setTier = async (username: string, tier: string) => {
    await t.dataSource.query(`UPDATE users SET "tierId" = (SELECT id FROM tiers WHERE name = $2) WHERE username = $1`, [
      username,
      tier,
    ]);
    await t.app.get(PrincipalCache).settled();
  };

  describe('links by tier', () => {
    it('Basic gets one 200px thumbnail and no original', async () => {
      const image = await uploadOk(tokens.basic, await fixtures.jpeg(800, 600), { title: 'Sunset' });
      expect(image).toMatchObject({ format: 'jpeg', width: 800, height: 600, title: 'Sunset', description: null });
      expect(image.links.thumbnails.map((l) => l.height)).toEqual([200]);
      expect(image.links.original).toBeNull();
    });

    it('Premium and Enterprise get 200, 400 and the original; every link works without auth', async () => {
      for (const tier of ['premium', 'enterprise']) {
        const data = await fixtures.jpeg(1200, 900);
        const image = await uploadOk(tokens[tier], data);
        expect(image.bytes).toBe(data.length);
        expect(image.links.thumbnails.map((l) => l.height)).toEqual([200, 400]);
        for (const { height, url } of image.links.thumbnails) {
          expect(url.startsWith(`${t.baseUrl}/media/`)).toBe(true);
          const res = await fetchLink(url);
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toBe('image/jpeg');
          const body = Buffer.from(await res.arrayBuffer());
          expect(res.headers.get('content-length')).toBe(String(body.length));
          expect(await fixtures.describeImage(body)).toMatchObject({
            format: 'jpeg',
            height,
            width: Math.round((height * 4) / 3),
            hasExif: false,
          });
        }
        const original = await fetchLink(image.links.original!);
        expect(original.status).toBe(200);
        expect(Buffer.from(await original.arrayBuffer()).equals(data)).toBe(true);
      }
    });
  });

  describe('thumbnails', () => {
    it('keep PNG as PNG with its alpha channel', async () => {
      const image = await uploadOk(tokens.premium, await fixtures.png(600, 500, true));
      expect(image.format).toBe('png');
      const res = await fetchLink(image.links.thumbnails[1].url);
      expect(res.headers.get('content-type')).toBe('image/png');
      const body = Buffer.from(await res.arrayBuffer());
      const meta = await (await import('sharp')).default(body).metadata();
      expect(meta).toMatchObject({ format: 'png', width: 480, height: 400, hasAlpha: true });
      expect(image.links.thumbnails[1].url.endsWith('/400.png')).toBe(true);
    });

    it('never enlarge: a 150×100 image stays 150×100 under the 200 and 400 links', async () => {
      const image = await uploadOk(tokens.premium, await fixtures.png(150, 100));
      for (const { height, url } of image.links.thumbnails) {
        expect(height).toBeGreaterThan(100);
        const body = Buffer.from(await (await fetchLink(url)).arrayBuffer());
        expect(await fixtures.describeImage(body)).toMatchObject({ format: 'png', width: 150, height: 100 });
      }
    });

    it('apply EXIF orientation: a rotated phone photo comes out upright, metadata stripped', async () => {
      const data = await fixtures.rotatedJpeg(600, 400); // displays as 400×600
      const image = await uploadOk(tokens.premium, data);
      expect({ width: image.width, height: image.height }).toEqual({ width: 400, height: 600 });
      const thumb = Buffer.from(await (await fetchLink(image.links.thumbnails[0].url)).arrayBuffer());
      expect(await fixtures.describeImage(thumb)).toEqual({
        format: 'jpeg',
        width: 133,
        height: 200,
        orientation: undefined,
        hasExif: false,
      });
      // the original is byte for byte what was uploaded, orientation tag included
      const original = Buffer.from(await (await fetchLink(image.links.original!)).arrayBuffer());
      expect(original.equals(data)).toBe(true);
    });

    it('are made by the upload itself (in its validating decode) and kept in storage before the 201', async () => {
      const image = await uploadOk(tokens.premium, await fixtures.jpeg(640, 480));
      const dir = join(t.config.dataDir, 'files', 'images', image.id);
      // The original's format and WebP in that decode; AVIF comes from a background job.
      expect(
        readdirSync(dir)
          .filter((name) => !name.endsWith('.avif'))
          .sort(),
      ).toEqual(['h200', 'h200.webp', 'h400', 'h400.webp', 'original']);
    });

    it('are made on the request when missing, with concurrent requests sharing one piece of work', async () => {
      const image = await uploadOk(tokens.enterprise, await fixtures.jpeg(900, 900));
      await t.app.get(JobQueue).drain();
      await t.dataSource.query(`INSERT INTO sizes (height) VALUES (150) ON CONFLICT DO NOTHING`);
      await t.dataSource.query(
        `INSERT INTO tier_sizes ("tierId", "sizeId") SELECT t.id, s.id FROM tiers t, sizes s WHERE t.name = 'Enterprise' AND s.height = 150`,
      );
      await t.app.get(PrincipalCache).settled();
      try {
        const fresh = (
          await t.http().get(`/api/images/${image.id}`).auth(tokens.enterprise, { type: 'bearer' }).expect(200)
        ).body as ImageBody;
        const link = fresh.links.thumbnails.find((l) => l.height === 150)!;
        const spy = jest.spyOn(t.app.get(ImageProcessor), 'thumbnails');
        const responses = await Promise.all(Array.from({ length: 6 }, () => fetchLink(link.url)));
        expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
        expect(spy).toHaveBeenCalledTimes(1);
        spy.mockRestore();
        const body = Buffer.from(await responses[0].arrayBuffer());
        expect(await fixtures.describeImage(body)).toMatchObject({ width: 150, height: 150 });
      } finally {
        await t.dataSource.query(`DELETE FROM tier_sizes WHERE "sizeId" = (SELECT id FROM sizes WHERE height = 150)`);
        await t.app.get(PrincipalCache).settled();
      }
    });
  });

  describe('serving', () => {
    it('answers If-None-Match with 304 and sends ETag, Cache-Control and nosniff', async () => {
      const image = await uploadOk(tokens.premium, await fixtures.jpeg(300, 300));
      const first = await fetchLink(image.links.original!);
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^".+"$/);
      expect(first.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(first.headers.get('x-content-type-options')).toBe('nosniff');
      const again = await fetchLink(image.links.original!, { 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect((await again.arrayBuffer()).byteLength).toBe(0);
    });

    it('refuses forged and altered links', async () => {
      const image = await uploadOk(tokens.premium, await fixtures.jpeg(300, 300));
      const url = new URL(image.links.thumbnails[0].url);
      const [, , id, signature, file] = url.pathname.split('/');
      const other = await uploadOk(tokens.premium, await fixtures.jpeg(300, 300));
      const at = (path: string) => fetchLink(`${t.baseUrl}${path}`);
      expect((await at(`/media/${id}/${signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}/${file}`)).status).toBe(
        403,
      );
      expect((await at(`/media/${other.id}/${signature}/${file}`)).status).toBe(403); // someone else's id
      expect((await at(`/media/${id}/${signature}/400.jpg`)).status).toBe(403); // another variant
      expect((await at(`/media/${id}/${signature}/original.jpg`)).status).toBe(403);
      expect((await at(`/media/${id}/${signature}/200.png`)).status).toBe(404); // wrong format
      expect((await at(`/media/not-a-uuid/${signature}/${file}`)).status).toBe(404);
      expect((await at(`/media/${id}/${signature}/../../etc/passwd`)).status).toBe(404);
    });

    it('follows tier changes at once: a downgrade revokes the 400px link (403), an upgrade restores it', async () => {
      await t.login('switcher', { tier: 'Premium' });
      const token = await t.login('switcher');
      const image = await uploadOk(token, await fixtures.jpeg(500, 500));
      const link400 = image.links.thumbnails.find((l) => l.height === 400)!.url;
      expect((await fetchLink(link400)).status).toBe(200);

      await setTier('switcher', 'Basic');
      expect((await fetchLink(link400)).status).toBe(403);
      expect((await fetchLink(image.links.original!)).status).toBe(403);
      const asBasic = (await t.http().get(`/api/images/${image.id}`).auth(token, { type: 'bearer' }).expect(200))
        .body as ImageBody;
      expect(asBasic.links.thumbnails.map((l) => l.height)).toEqual([200]);
      expect(asBasic.links.original).toBeNull();

      await setTier('switcher', 'Premium');
      expect((await fetchLink(link400)).status).toBe(200);
    });
  });

  describe('listing', () => {
    it('pages 25 images by 10, newest first, stable while uploads land between pages', async () => {
      const token = await t.login('lister');
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) ids.push((await uploadOk(token, await fixtures.png(20, 20), { title: `n${i}` })).id);
      const page = (cursor?: string) =>
        t
          .http()
          .get('/api/images')
          .query({ limit: 10, ...(cursor ? { cursor } : {}) })
          .auth(token, { type: 'bearer' })
          .expect(200);

      const first = (await page()).body as { items: ImageBody[]; nextCursor: string };
      expect(first.items.map((i) => i.id)).toEqual(ids.slice(15).reverse());
      await uploadOk(token, await fixtures.png(20, 20), { title: 'late' }); // lands between pages
      const second = (await page(first.nextCursor)).body as { items: ImageBody[]; nextCursor: string };
      expect(second.items.map((i) => i.id)).toEqual(ids.slice(5, 15).reverse());
      const third = (await page(second.nextCursor)).body as { items: ImageBody[]; nextCursor: string | null };
      expect(third.items.map((i) => i.id)).toEqual(ids.slice(0, 5).reverse());
      expect(third.nextCursor).toBeNull();

      const defaults = (await t.http().get('/api/images').auth(token, { type: 'bearer' }).expect(200)).body;
      expect(defaults.items).toHaveLength(20);
      expect(defaults.items[0].title).toBe('late');
    });

    it('serves the first page from memory, and it follows every change to the owner’s images', async () => {
      const token = await t.login('gallery');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await uploadOk(token, await fixtures.png(20, 20), { title: `g${i}` })).id);
      const list = async (query: Record<string, string | number> = {}) =>
        (await t.http().get('/api/images').query(query).auth(token, { type: 'bearer' }).expect(200)).body as {
          items: ImageBody[];
          nextCursor: string | null;
        };
      const titles = async () => (await list()).items.map((i) => i.title);
      // The uploads' own notifications would drop the page again when they arrive: let them be in first.
      await t.app.get(DatabaseNotifications).settled();
      const reads = jest.spyOn(t.app.get(ImagesRepository), 'page');
      try {
        expect(await titles()).toEqual(['g2', 'g1', 'g0']);
        expect(await titles()).toEqual(['g2', 'g1', 'g0']);
        // A smaller first page is cut from the same rows, its cursor leading on to the database.
        const two = await list({ limit: 2 });
        expect(two.items.map((i) => i.title)).toEqual(['g2', 'g1']);
        expect(reads).toHaveBeenCalledTimes(1);
        const rest = await list({ limit: 2, cursor: two.nextCursor! });
        expect(rest).toMatchObject({ items: [{ title: 'g0' }], nextCursor: null });
        expect(reads).toHaveBeenCalledTimes(2);
      } finally {
        reads.mockRestore();
      }

      // Through this instance: seen by the very next request.
      await t
        .http()
        .patch(`/api/images/${ids[1]}`)
        .auth(token, { type: 'bearer' })
        .send({ title: 'renamed' })
        .expect(200);
      expect(await titles()).toEqual(['g2', 'renamed', 'g0']);
      await t.http().delete(`/api/images/${ids[2]}`).auth(token, { type: 'bearer' }).expect(204);
      expect(await titles()).toEqual(['renamed', 'g0']);
      await t.app.get(ImagesService).removeById(ids[0]); // the admin panel's delete
      expect(await titles()).toEqual(['renamed']);
      // Elsewhere (plain SQL, another instance): seen once its notification has arrived.
      await t.dataSource.query(`UPDATE images SET title = 'by SQL' WHERE id = $1`, [ids[1]]);
      await t.app.get(DatabaseNotifications).settled();
      expect(await titles()).toEqual(['by SQL']);
      const usage = `UPDATE images SET "storedBytes" = "storedBytes" + 1 WHERE id = $1`; // not a listed column
      await t.dataSource.query(usage, [ids[1]]);
      await t.dataSource.query(`DELETE FROM images WHERE id = $1`, [ids[1]]);
      await t.app.get(DatabaseNotifications).settled();
      expect(await titles()).toEqual([]);
    });

    it('shows only the caller’s images', async () => {
      const token = await t.login('loner');
      await uploadOk(tokens.other, await fixtures.png(20, 20));
      expect((await t.http().get('/api/images').auth(token, { type: 'bearer' }).expect(200)).body).toEqual({
        items: [],
        nextCursor: null,
      });
    });

    it('refuses limit 0, 101, abc and a malformed cursor with 400', async () => {
      for (const query of [
        { limit: 0 },
        { limit: 101 },
        { limit: 'abc' },
        { limit: 2.5 },
        { limit: '0x10' },
        { limit: '1e1' },
        { cursor: 'nonsense' },
        { cursor: Buffer.from('["x","y"]').toString('base64url') },
      ]) {
        const res = await t.http().get('/api/images').query(query).auth(tokens.basic, { type: 'bearer' }).expect(400);
        expect(res.body.message).toMatch(/limit|cursor/);
      }
    });
  });

  describe('one image', () => {
    it('updates title and description, and clears them with null', async () => {
      const image = await uploadOk(tokens.premium, await fixtures.png(30, 30), { title: 'a', description: 'b' });
      const path = `/api/images/${image.id}`;
      const patched = await t
        .http()
        .patch(path)
        .auth(tokens.premium, { type: 'bearer' })
        .send({ title: 'New title' })
        .expect(200);
      expect(patched.body).toMatchObject({ title: 'New title', description: 'b' });
      const cleared = await t
        .http()
        .patch(path)
        .auth(tokens.premium, { type: 'bearer' })
        .send({ description: null })
        .expect(200);
      expect(cleared.body).toMatchObject({ title: 'New title', description: null });
      await t
        .http()
        .patch(path)
        .auth(tokens.premium, { type: 'bearer' })
        .send({ title: 'x'.repeat(201) })
        .expect(400);
      await t.http().patch(path).auth(tokens.premium, { type: 'bearer' }).send({ format: 'gif' }).expect(400);
      expect((await t.http().get(path).auth(tokens.premium, { type: 'bearer' }).expect(200)).body.title).toBe(
        'New title',
      );
    });

    it('is 404 for someone else’s image and for a missing one, on every method', async () => {
      const image = await uploadOk(tokens.premium, await fixtures.png(30, 30));
      const path = `/api/images/${image.id}`;
      const missing = '/api/images/00000000-0000-4000-8000-000000000000';
      for (const p of [path, missing]) {
        const res = await t.http().get(p).auth(tokens.other, { type: 'bearer' }).expect(404);
        expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'No such image' });
        await t.http().patch(p).auth(tokens.other, { type: 'bearer' }).send({ title: 'mine now' }).expect(404);
        await t.http().delete(p).auth(tokens.other, { type: 'bearer' }).expect(404);
      }
      await t.http().get('/api/images/not-a-uuid').auth(tokens.other, { type: 'bearer' }).expect(400);
      expect((await t.http().get(path).auth(tokens.premium, { type: 'bearer' }).expect(200)).body.title).toBeNull();
      await t.http().get(path).expect(401);
    });

    it('deletes the row, the stored files, and every link', async () => {
      const image = await uploadOk(tokens.premium, await fixtures.jpeg(500, 400));
      await t.app.get(JobQueue).drain();
      const links = [...image.links.thumbnails.map((l) => l.url), image.links.original!];
      for (const url of links) expect((await fetchLink(url)).status).toBe(200);
      await t.http().delete(`/api/images/${image.id}`).auth(tokens.premium, { type: 'bearer' }).expect(204);
      for (const url of links) expect((await fetchLink(url)).status).toBe(404);
      expect(existsSync(join(t.config.dataDir, 'files', 'images', image.id))).toBe(false);
      await t.http().get(`/api/images/${image.id}`).auth(tokens.premium, { type: 'bearer' }).expect(404);
    });
  });

  describe('bad input: a clear 4xx and nothing left behind', () => {
    const cases: Array<[string, () => Promise<Buffer>, number, RegExp]> = [
      ['GIF', fixtures.gif, 415, /GIF images are not accepted/],
      ['WebP', fixtures.webp, 415, /WebP/],
      ['SVG', async () => fixtures.svg(), 415, /SVG/],
      ['TIFF', fixtures.tiff, 415, /TIFF/],
      ['AVIF', fixtures.avif, 415, /AVIF/],
      ['plain text', async () => Buffer.from('hello, this is not an image at all'), 400, /not an image/],
      ['an empty file', async () => Buffer.alloc(0), 400, /not an image/],
      ['a truncated PNG', async () => (await fixtures.png(300, 300)).subarray(0, 2000), 400, /broken or truncated/],
      ['a truncated JPEG', async () => (await fixtures.jpeg(300, 300)).subarray(0, 3000), 400, /broken or truncated/],
      [
        'a PNG header with garbage after it',
        async () => Buffer.concat([(await fixtures.png(10, 10)).subarray(0, 33), Buffer.alloc(500, 7)]),
        400,
        /PNG/,
      ],
      [
        'a 20000×20000 PNG (pixel bomb)',
        async () => fixtures.pngBomb(20000, 20000),
        400,
        /pixels; the limit is 50000000/,
      ],
    ];

    it.each(cases)('%s', async (_name, make, status, message) => {
      const before = await countImages();
      const dirs = storedImageDirs();
      const res = await upload(tokens.premium, await make(), {}, 'looks-fine.png').expect(status);
      expect(res.body).toEqual({
        statusCode: status,
        error: expect.any(String),
        message: expect.stringMatching(message),
      });
      expect(await countImages()).toBe(before);
      expect(storedImageDirs()).toBe(dirs);
      expect(uploadsLeft()).toBe(0);
    });

    it('a file over MAX_UPLOAD_BYTES: 413 as a response, nothing stored', async () => {
      const before = await countImages();
      const big = Buffer.alloc(3 * 1024 * 1024, 1);
      const res = await upload(tokens.premium, big).expect(413);
      expect(res.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'The file is larger than the limit of 2097152 bytes',
      });
      expect(await countImages()).toBe(before);
      expect(uploadsLeft()).toBe(0);
    });

    it('a file one byte over the limit, caught while streaming: 413, nothing stored', async () => {
      const before = await countImages();
      const res = await upload(tokens.premium, Buffer.alloc(2 * 1024 * 1024 + 1, 1)).expect(413);
      expect(res.body.message).toBe('The file is larger than the limit of 2097152 bytes');
      await upload(
        tokens.premium,
        Buffer.concat([await fixtures.png(10, 10), Buffer.alloc(2 * 1024 * 1024 - 4096)]),
      ).expect(201);
      expect(await countImages()).toBe(before + 1);
      expect(uploadsLeft()).toBe(0);
    });

    it('a chunked upload over the limit (no Content-Length): cut off by the parser, 413 as a response', async () => {
      const before = await countImages();
      const { port } = new URL(t.baseUrl);
      const socket = connect(Number(port), '127.0.0.1');
      await once(socket, 'connect');
      let response = '';
      socket.on('data', (d: Buffer) => (response += d.toString()));
      const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
      socket.write(
        `POST /api/images HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens.premium}\r\n` +
          `Content-Type: multipart/form-data; boundary=XB\r\nTransfer-Encoding: chunked\r\n\r\n` +
          chunk('--XB\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'),
      );
      for (let sent = 0; sent < 3 * 1024 * 1024; sent += 64 * 1024) {
        if (!socket.write(chunk('x'.repeat(64 * 1024)))) await once(socket, 'drain');
      }
      socket.write(chunk('\r\n--XB--\r\n') + '0\r\n\r\n');
      while (!response.includes('}')) await once(socket, 'data');
      socket.destroy();
      expect(response).toMatch(/^HTTP\/1\.1 413 /);
      expect(response).toContain('"message":"The file is larger than the limit of 2097152 bytes"');
      expect(await countImages()).toBe(before);
      expect(uploadsLeft()).toBe(0);
    });

    it('fields: missing file, another field name, overlong title, unknown field', async () => {
      const before = await countImages();
      const data = await fixtures.png(20, 20);
      const noFile = await t
        .http()
        .post('/api/images')
        .auth(tokens.premium, { type: 'bearer' })
        .field('title', 'x')
        .expect(400);
      expect(noFile.body.message).toMatch(/file is required/);
      await t
        .http()
        .post('/api/images')
        .auth(tokens.premium, { type: 'bearer' })
        .attach('image', data, 'a.png')
        .expect(400);
      const longTitle = await upload(tokens.premium, data, { title: 'x'.repeat(201) }).expect(400);
      expect(longTitle.body.message).toMatch(/title must be shorter than or equal to 200 characters/);
      await upload(tokens.premium, data, { description: 'x'.repeat(2001) }).expect(400);
      await upload(tokens.premium, data, { owner: 'someone' }).expect(400);
      await t.http().post('/api/images').attach('file', data, 'a.png').expect(401);
      expect(await countImages()).toBe(before);
      expect(uploadsLeft()).toBe(0);
    });

    it('the client’s file name and content type decide nothing', async () => {
      const res = await t
        .http()
        .post('/api/images')
        .auth(tokens.premium, { type: 'bearer' })
        .attach('file', await fixtures.jpeg(50, 40), { filename: '../../evil.gif', contentType: 'image/gif' })
        .expect(201);
      expect(res.body.format).toBe('jpeg');
      expect(res.body.links.original.endsWith('/original.jpg')).toBe(true);
    });
  });

  it('takes 20 uploads in parallel, all landing', async () => {
    const token = await t.login('parallel');
    const data = await Promise.all(Array.from({ length: 20 }, (_, i) => fixtures.png(40 + i, 30)));
    const results = await Promise.all(data.map((d) => upload(token, d)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const list = (await t.http().get('/api/images').query({ limit: 100 }).auth(token, { type: 'bearer' }).expect(200))
      .body;
    expect(new Set(list.items.map((i: ImageBody) => i.width))).toEqual(new Set(data.map((_, i) => 40 + i)));
  });
});
