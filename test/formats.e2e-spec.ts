import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { thumbHashToRGBA } from 'thumbhash';
import { JobQueue } from '../src/jobs/job-queue.js';
import { PrincipalCache } from '../src/auth/principal-cache.service.js';
import { bootApp, type TestApp } from './support/app.js';
import * as fixtures from './support/images.js';

interface Thumb {
  height: number;
  width: number;
  url: string;
}
interface ImageBody {
  id: string;
  width: number;
  height: number;
  placeholder: string | null;
  links: { thumbnails: Thumb[]; original: string | null };
}

const CHROME = 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8';
const HUGE = `${'application/x-padding-type;q=0.5;level=1, '.repeat(200)}image/webp;q=0.9`;

/** AVIF and WebP by Accept on thumbnail links, made in the foreground (WebP) or the background (AVIF). */
describe('thumbnail formats', () => {
  let t: TestApp;
  let premium: string;
  let enterprise: string;

  beforeAll(async () => {
    t = await bootApp();
    premium = await t.login('formats-premium', { tier: 'Premium' });
    enterprise = await t.login('formats-enterprise', { tier: 'Enterprise' });
  });
  afterAll(() => t.close());

  const uploadOk = async (token: string, data: Buffer) =>
    (
      await t
        .http()
        .post('/api/images')
        .auth(token, { type: 'bearer' })
        .attach('file', data, { filename: 'x.bin', contentType: 'application/octet-stream' })
        .expect(201)
    ).body as ImageBody;
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { headers });
    return { res, body: Buffer.from(await res.arrayBuffer()) };
  };
  const drain = () => t.app.get(JobQueue).drain();
  const files = (id: string) => readdirSync(join(t.config.dataDir, 'files', 'images', id)).sort();
  const thumb = (image: ImageBody, height: number) => image.links.thumbnails.find((l) => l.height === height)!;

  it('serves AVIF, WebP or the original’s format by Accept, with Vary: Accept on every answer', async () => {
    const image = await uploadOk(premium, await fixtures.jpeg(641, 479));
    await drain(); // the AVIF is made in the background
    const url = thumb(image, 200).url;
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'jpeg'],
      ['*/*', 'jpeg'],
      ['image/*', 'jpeg'],
      ['image/png,image/jpeg', 'jpeg'],
      ['image/webp,*/*', 'webp'],
      [CHROME, 'heif'],
      ['image/avif', 'heif'],
      ['image/avif;q=0,image/webp', 'webp'], // q=0 refuses
      ['image/avif;q=0, image/webp;q=0, */*', 'jpeg'],
      ['image/avif;q=abc,image/webp;q=2', 'jpeg'], // odd q-values count for nothing
      ['IMAGE/WEBP;Q=0.5', 'webp'],
      [HUGE, 'webp'], // several KiB
      ['/;,;=;q=;,,image/avif;;q=0.001', 'heif'],
    ];
    for (const [accept, format] of cases) {
      const { res, body } = await get(url, accept === undefined ? {} : { accept });
      expect([accept, res.status, res.headers.get('vary')]).toEqual([accept, 200, 'Accept']);
      const meta = await sharp(body).metadata();
      expect([accept, meta.format, meta.width, meta.height]).toEqual([accept, format, thumb(image, 200).width, 200]);
      const type = { jpeg: 'image/jpeg', webp: 'image/webp', heif: 'image/avif' }[format];
      expect([accept, res.headers.get('content-type'), Number(res.headers.get('content-length'))]).toEqual([
        accept,
        type,
        body.length,
      ]);
    }
    expect(HUGE.length).toBeGreaterThan(8 * 1024);
  });

  it('gives each format its own ETag; If-None-Match is a 304 only for the format being served', async () => {
    const image = await uploadOk(premium, await fixtures.jpeg(500, 400));
    await drain();
    const url = thumb(image, 400).url;
    const etags: Record<string, string> = {};
    for (const accept of ['*/*', 'image/webp', 'image/avif']) {
      etags[accept] = (await get(url, { accept })).res.headers.get('etag')!;
    }
    expect(new Set(Object.values(etags)).size).toBe(3);
    for (const accept of Object.keys(etags)) {
      const same = await get(url, { accept, 'if-none-match': etags[accept] });
      expect([accept, same.res.status, same.res.headers.get('vary'), same.body.length]).toEqual([
        accept,
        304,
        'Accept',
        0,
      ]);
      for (const other of Object.keys(etags).filter((a) => a !== accept)) {
        const { res } = await get(url, { accept: other, 'if-none-match': etags[accept] });
        expect([accept, other, res.status, res.headers.get('etag')]).toEqual([accept, other, 200, etags[other]]);
      }
    }
  });

  it('serves the best format made while the AVIF is made in the background, briefly cached; old images catch up lazily', async () => {
    const image = await uploadOk(premium, await fixtures.jpeg(800, 600));
    await drain();
    // An image from before formats: only its original-format thumbnails, and no placeholder.
    for (const name of files(image.id)) {
      if (name.includes('.')) rmSync(join(t.config.dataDir, 'files', 'images', image.id, name));
    }
    await t.dataSource.query(`UPDATE images SET placeholder = NULL WHERE id = $1`, [image.id]);
    expect(files(image.id)).toEqual(['h200', 'h400', 'original']);

    const url = thumb(image, 200).url;
    const first = await get(url, { accept: CHROME });
    expect(first.res.status).toBe(200);
    expect(first.res.headers.get('content-type')).toBe('image/webp'); // made on the spot, like any missing thumbnail
    expect(first.res.headers.get('cache-control')).toBe('public, max-age=30');
    expect(first.res.headers.get('vary')).toBe('Accept');
    const webpTag = first.res.headers.get('etag')!;
    expect((await get(url, { accept: CHROME, 'if-none-match': webpTag })).res.status).toBe(304);

    await drain(); // the AVIF job the first request queued
    expect(files(image.id)).toEqual(['h200', 'h200.avif', 'h200.webp', 'h400', 'h400.avif', 'original']);
    const later = await get(url, { accept: CHROME, 'if-none-match': webpTag });
    expect(later.res.status).toBe(200); // the client's WebP is not what is served now
    expect(later.res.headers.get('content-type')).toBe('image/avif');
    expect(later.res.headers.get('cache-control')).toBe('public, max-age=300');
    const [{ placeholder }] = await t.dataSource.query(`SELECT placeholder FROM images WHERE id = $1`, [image.id]);
    expect(typeof placeholder).toBe('string'); // filled by that background decode
  });

  it('keeps transparency in WebP and AVIF', async () => {
    const rgba = Buffer.alloc(300 * 200 * 4);
    for (let i = 0; i < 300 * 200; i++) if (i % 300 < 150) rgba.set([0, 128, 255, 255], i * 4);
    const image = await uploadOk(
      premium,
      await sharp(rgba, { raw: { width: 300, height: 200, channels: 4 } })
        .png()
        .toBuffer(),
    );
    await drain();
    for (const accept of ['image/webp', 'image/avif', '*/*']) {
      const { res, body } = await get(thumb(image, 200).url, { accept });
      expect(res.status).toBe(200);
      const { data, info } = await sharp(body).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      const alpha = (x: number) => data[(100 * info.width + x) * info.channels + 3];
      expect([accept, info.width, alpha(20), alpha(280)]).toEqual([accept, 300, 255, 0]);
    }
  });

  it('never converts the original: its link gives the uploaded bytes whatever the Accept', async () => {
    const uploaded = await fixtures.png(120, 90);
    const image = await uploadOk(premium, uploaded);
    for (const accept of [CHROME, 'image/avif', 'image/webp']) {
      const { res, body } = await get(image.links.original!, { accept });
      expect([res.status, res.headers.get('content-type'), body.equals(uploaded)]).toEqual([200, 'image/png', true]);
    }
  });

  it('states each thumbnail’s width as served, and a placeholder of the image’s aspect ratio', async () => {
    const image = await uploadOk(premium, await fixtures.rotatedJpeg(1999, 1001)); // displayed 1001×1999
    await drain();
    expect([image.width, image.height]).toEqual([1001, 1999]);
    const small = await uploadOk(premium, await fixtures.jpeg(150, 100));
    for (const each of [image, small]) {
      const listed = (await t.http().get(`/api/images/${each.id}`).auth(premium, { type: 'bearer' }).expect(200))
        .body as ImageBody;
      expect(listed.links.thumbnails).toEqual(each.links.thumbnails);
      for (const link of each.links.thumbnails) {
        for (const accept of ['*/*', 'image/webp', 'image/avif']) {
          const meta = await sharp((await get(link.url, { accept })).body).metadata();
          expect([link.height, accept, meta.width]).toEqual([link.height, accept, link.width]);
        }
      }
      const decoded = thumbHashToRGBA(Buffer.from(each.placeholder!, 'base64'));
      expect(decoded.w / decoded.h).toBeCloseTo(each.width / each.height, 0);
    }
    expect(small.links.thumbnails.map((l) => [l.height, l.width])).toEqual([
      [200, 150],
      [400, 150],
    ]);
    expect(image.links.thumbnails.map((l) => [l.height, l.width])).toEqual([
      [200, 100],
      [400, 200],
    ]);
    const page = (await t.http().get('/api/images?limit=1').auth(premium, { type: 'bearer' }).expect(200)).body as {
      items: ImageBody[];
    };
    expect(page.items[0].placeholder).toBe(small.placeholder);
  });

  it('negotiates expiring links too, with their private caching', async () => {
    const image = await uploadOk(enterprise, await fixtures.jpeg(400, 300));
    await drain();
    const link = (
      await t
        .http()
        .post(`/api/images/${image.id}/expiring-links`)
        .auth(enterprise, { type: 'bearer' })
        .send({ expiresIn: 600, variant: '200' })
        .expect(201)
    ).body as { url: string };
    const avif = await get(link.url, { accept: CHROME });
    expect([avif.res.status, avif.res.headers.get('content-type'), avif.res.headers.get('vary')]).toEqual([
      200,
      'image/avif',
      'Accept',
    ]);
    expect(avif.res.headers.get('cache-control')).toMatch(/^private, max-age=(59\d|600)$/);
    const plain = await get(link.url, { 'if-none-match': avif.res.headers.get('etag')! });
    expect([plain.res.status, plain.res.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    const again = await get(link.url, { accept: CHROME, 'if-none-match': avif.res.headers.get('etag')! });
    expect([again.res.status, again.res.headers.get('vary')]).toEqual([304, 'Accept']);
  });

  it('refuses a size the tier does not grant, whatever the Accept', async () => {
    const image = await uploadOk(premium, await fixtures.jpeg(600, 450));
    await drain();
    await t.dataSource.query(
      `UPDATE users SET "tierId" = (SELECT id FROM tiers WHERE name = 'Basic') WHERE username = $1`,
      ['formats-premium'],
    );
    await t.app.get(PrincipalCache).settled();
    try {
      for (const accept of [undefined, CHROME, 'image/webp', 'image/avif']) {
        const { res } = await get(thumb(image, 400).url, accept ? { accept } : {});
        expect([accept, res.status]).toEqual([accept, 403]);
      }
      expect((await get(thumb(image, 200).url, { accept: CHROME })).res.status).toBe(200);
    } finally {
      await t.dataSource.query(
        `UPDATE users SET "tierId" = (SELECT id FROM tiers WHERE name = 'Premium') WHERE username = $1`,
        ['formats-premium'],
      );
      await t.app.get(PrincipalCache).settled();
    }
  });

  it('deletes every format with the image', async () => {
    const image = await uploadOk(premium, await fixtures.png(300, 300, true));
    await drain();
    for (const accept of ['image/avif', 'image/webp', '*/*']) await get(thumb(image, 200).url, { accept }); // into memory
    expect(files(image.id)).toEqual(['h200', 'h200.avif', 'h200.webp', 'h400', 'h400.avif', 'h400.webp', 'original']);
    await t.http().delete(`/api/images/${image.id}`).auth(premium, { type: 'bearer' }).expect(204);
    expect(existsSync(join(t.config.dataDir, 'files', 'images', image.id))).toBe(false);
    for (const accept of ['image/avif', 'image/webp', '*/*']) {
      expect((await get(thumb(image, 200).url, { accept })).res.status).toBe(404);
    }
  });
});

/** THUMBNAIL_FORMATS on a running server: only the formats it names are made, offered and served. */
describe.each([
  { formats: 'webp', made: ['h200', 'h200.webp', 'h400', 'h400.webp', 'original'], chrome: 'image/webp' },
  { formats: 'none', made: ['h200', 'h400', 'original'], chrome: 'image/jpeg' },
])('THUMBNAIL_FORMATS=$formats', ({ formats, made, chrome }) => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await bootApp({ env: { THUMBNAIL_FORMATS: formats } });
    token = await t.login(`formats-${formats}`, { tier: 'Premium' });
  });
  afterAll(() => t.close());

  it('makes and serves only those formats, negotiated as before', async () => {
    const res = await t
      .http()
      .post('/api/images')
      .auth(token, { type: 'bearer' })
      .attach('file', await fixtures.jpeg(800, 600), 'x.jpg')
      .expect(201);
    const image = res.body as ImageBody;
    const url = image.links.thumbnails.find((l) => l.height === 200)!.url;
    for (const [accept, type] of [
      [CHROME, chrome],
      ['image/avif', 'image/jpeg'], // AVIF is not made here: the original's format, never a 406
      ['*/*', 'image/jpeg'],
    ]) {
      const answer = await fetch(url, { headers: { accept } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe(type);
      expect(answer.headers.get('vary')).toBe('Accept');
      expect(answer.headers.get('cache-control')).toBe('public, max-age=300'); // nothing better is coming
      await answer.arrayBuffer();
    }
    await t.app.get(JobQueue).drain();
    expect(readdirSync(join(t.config.dataDir, 'files', 'images', image.id)).sort()).toEqual(made);
  });
});
