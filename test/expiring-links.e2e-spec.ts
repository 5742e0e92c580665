import {
  EXPIRING_LINKS_PER_IMAGE_PER_HOUR,
  ExpiringLinksService,
} from '../src/expiring-links/expiring-links.service.js';
import { bootApp, type TestApp } from './support/app.js';
import { TestClock } from './support/clock.js';
import * as fixtures from './support/images.js';

interface LinkBody {
  id: string;
  url: string;
  variant: string;
  expiresAt: string;
}

describe('expiring links', () => {
  const clock = new TestClock();
  let t: TestApp;
  let enterprise: string;
  let imageId: string;
  let original: Buffer;

  beforeAll(async () => {
    t = await bootApp({ clock });
    enterprise = await t.login('ent', { tier: 'Enterprise' });
    original = await fixtures.jpeg(640, 480);
    imageId = (await upload(enterprise, original)).id;
  });
  afterAll(() => t?.close());

  async function upload(token: string, data: Buffer): Promise<{ id: string }> {
    const res = await t
      .http()
      .post('/api/images')
      .auth(token, { type: 'bearer' })
      .attach('file', data, 'x.jpg')
      .expect(201);
    return res.body;
  }
  const create = (token: string, id: string, body: object) =>
    t.http().post(`/api/images/${id}/expiring-links`).auth(token, { type: 'bearer' }).send(body);
  const createOk = async (body: object, id = imageId, token = enterprise) =>
    (await create(token, id, body).expect(201)).body as LinkBody;

  it('creates a link that serves the original without auth, with cache headers bounded by its lifetime', async () => {
    const now = clock.now();
    const link = await createOk({ expiresIn: 600 });
    expect(link).toEqual({
      id: expect.any(String),
      url: expect.stringMatching(/\/media\/x\/[\w-]+\/original\.jpg$/),
      variant: 'original',
      expiresAt: new Date(now.getTime() + 600_000).toISOString(),
    });
    expect(link.url.startsWith(t.baseUrl)).toBe(true);
    const res = await fetch(link.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer()).equals(original)).toBe(true);
    expect(res.headers.get('cache-control')).toBe('private, max-age=600');
    expect(res.headers.get('expires')).toBe(new Date(link.expiresAt).toUTCString());
  });

  it('gives every answer of a thumbnail link its Expires: read from storage, kept in memory, and the 304', async () => {
    const link = await createOk({ expiresIn: 900, variant: '200' });
    const expires = new Date(link.expiresAt).toUTCString();
    const read = await fetch(link.url);
    const kept = await fetch(link.url);
    const notModified = await fetch(link.url, { headers: { 'if-none-match': kept.headers.get('etag')! } });
    expect([read.status, kept.status, notModified.status]).toEqual([200, 200, 304]);
    for (const res of [read, kept, notModified]) {
      expect(res.headers.get('expires')).toBe(expires);
      expect(res.headers.get('cache-control')).toBe('private, max-age=900');
      expect(res.headers.get('vary')).toBe('Accept');
    }
    expect(Buffer.from(await kept.arrayBuffer()).equals(Buffer.from(await read.arrayBuffer()))).toBe(true);
  });

  it('works until expiresAt and answers 410 Gone after it (times compared as absolute UTC instants)', async () => {
    const link = await createOk({ expiresIn: 300, variant: '400' });
    const expiresAt = new Date(link.expiresAt).getTime();
    const start = clock.now().getTime();
    try {
      clock.set(expiresAt - 1000);
      const before = await fetch(link.url);
      expect(before.status).toBe(200);
      expect(before.headers.get('cache-control')).toBe('private, max-age=1');
      expect((await fixtures.describeImage(Buffer.from(await before.arrayBuffer()))).height).toBe(400);
      clock.set(expiresAt + 1000);
      const after = await fetch(link.url);
      expect(after.status).toBe(410);
      expect(await after.json()).toEqual({
        statusCode: 410,
        error: 'Gone',
        message: `This link expired at ${link.expiresAt}`,
      });
    } finally {
      clock.set(start);
    }
  });

  it('accepts 300 and 30000 seconds and refuses 299, 30001, 300.5, "abc" and a missing value with 400', async () => {
    await createOk({ expiresIn: 300 });
    await createOk({ expiresIn: 30000 });
    for (const expiresIn of [299, 30001, 300.5, 'abc', '600', null, undefined]) {
      const res = await create(enterprise, imageId, { expiresIn }).expect(400);
      expect(res.body.message).toBe('expiresIn must be a whole number of seconds from 300 to 30000');
    }
    for (const variant of ['abc', '0', '-200', 200, '']) {
      const res = await create(enterprise, imageId, { expiresIn: 600, variant }).expect(400);
      expect(res.body.message).toMatch(/variant must be "original" or a thumbnail height/);
    }
    await create(enterprise, imageId, { expiresIn: 600, extra: 1 }).expect(400);
  });

  it('is 403 for tiers without expiring links, and for variants the tier does not grant', async () => {
    for (const tier of ['Basic', 'Premium']) {
      const token = await t.login(`user-${tier}`, { tier });
      const own = await upload(token, await fixtures.png(50, 50));
      const res = await create(token, own.id, { expiresIn: 600 }).expect(403);
      expect(res.body.message).toBe(`The ${tier} plan does not include expiring links`);
    }
    const res = await create(enterprise, imageId, { expiresIn: 600, variant: '800' }).expect(403);
    expect(res.body.message).toMatch(/does not include the variant "800"; it offers: 200, 400, original/);
  });

  it('follows an admin-made tier: expiring links without the original link allow thumbnails only', async () => {
    await t.dataSource.query(`INSERT INTO sizes (height) VALUES (150) ON CONFLICT DO NOTHING`);
    await t.dataSource.query(
      `INSERT INTO tiers (name, "originalLink", "expiringLinks") VALUES ('Studio', false, true)`,
    );
    await t.dataSource.query(
      `INSERT INTO tier_sizes ("tierId", "sizeId") SELECT t.id, s.id FROM tiers t, sizes s WHERE t.name = 'Studio' AND s.height IN (150, 400)`,
    );
    const token = await t.login('studio-user', { tier: 'Studio' });
    const own = await upload(token, await fixtures.jpeg(300, 600));
    const link = (await create(token, own.id, { expiresIn: 900, variant: '150' }).expect(201)).body as LinkBody;
    const res = await fetch(link.url);
    expect(await fixtures.describeImage(Buffer.from(await res.arrayBuffer()))).toMatchObject({
      width: 75,
      height: 150,
    });
    await create(token, own.id, { expiresIn: 900, variant: 'original' }).expect(403);
    await create(token, own.id, { expiresIn: 900 }).expect(403); // the default variant is the original
    await create(token, own.id, { expiresIn: 900, variant: '200' }).expect(403);
  });

  it('is 404 for someone else’s image or a missing one', async () => {
    const other = await t.login('other-ent', { tier: 'Enterprise' });
    await create(other, imageId, { expiresIn: 600 }).expect(404);
    await create(enterprise, '00000000-0000-4000-8000-000000000000', { expiresIn: 600 }).expect(404);
    await create(enterprise, 'nope', { expiresIn: 600 }).expect(400);
  });

  it('refuses any tampering with 403 or 404, never a 500', async () => {
    const link = await createOk({ expiresIn: 600, variant: '200' });
    const url = new URL(link.url);
    const [, , , token] = url.pathname.split('/');
    const at = (path: string) => fetch(`${t.baseUrl}${path}`).then((r) => r.status);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    // every region of the token: link id, image id, expiry, signature
    for (const i of [0, 10, 22, 30, 43, 48, 52, 60, 71]) {
      expect([403, 404]).toContain(await at(`/media/x/${flip(token, i)}/200.jpg`));
    }
    expect(await at(`/media/x/${token}/400.jpg`)).toBe(403); // another variant
    expect(await at(`/media/x/${token}/original.jpg`)).toBe(403);
    expect(await at(`/media/x/${token}/200.png`)).toBe(404);
    expect(await at(`/media/x/${token.slice(0, -2)}/200.jpg`)).toBe(404);
    expect(await at(`/media/x/${token}AA/200.jpg`)).toBe(404);
    expect(await at(`/media/x/%00%ff/200.jpg`)).toBe(400); // not even valid URL encoding
    expect(await at(url.pathname)).toBe(200);
    expect(await at(`${url.pathname}/`)).toBe(200); // one trailing slash, as the router took it
    expect(await at(url.pathname.replace(token, encodeURIComponent(token).replace(/-/g, '%2D')))).toBe(200);
    // Every other request under /media/ gets the API's error JSON from the same entry point.
    const post = await fetch(`${t.baseUrl}${url.pathname}`, { method: 'POST' });
    expect(post.status).toBe(404);
    expect(await post.json()).toEqual({ statusCode: 404, error: 'Not Found', message: `Cannot POST ${url.pathname}` });
    const odd = await fetch(`${t.baseUrl}/media/x/${token}`);
    expect(odd.status).toBe(404);
    expect(odd.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await odd.json()).toMatchObject({ statusCode: 404, message: `Cannot GET /media/x/${token}` });
  });

  it('stops working at once when revoked (410)', async () => {
    const link = await createOk({ expiresIn: 600 });
    expect((await fetch(link.url)).status).toBe(200);
    expect(await t.app.get(ExpiringLinksService).revoke(link.id)).toBe(true);
    const res = await fetch(link.url);
    expect(res.status).toBe(410);
    expect(((await res.json()) as { message: string }).message).toBe('This link was revoked');
  });

  it('answers 404 once the image is deleted', async () => {
    const own = await upload(enterprise, await fixtures.png(60, 60));
    const link = await createOk({ expiresIn: 600 }, own.id);
    await t.http().delete(`/api/images/${own.id}`).auth(enterprise, { type: 'bearer' }).expect(204);
    expect((await fetch(link.url)).status).toBe(404);
  });

  it('cleans up rows a day after expiry; the link still answers 410', async () => {
    const link = await createOk({ expiresIn: 300 });
    const service = t.app.get(ExpiringLinksService);
    const start = clock.now().getTime();
    try {
      clock.set(start + 3600_000);
      await service.deleteExpired();
      expect(await service.state(link.id)).toBe('live');
      clock.set(start + 300_000 + 25 * 3600_000);
      expect(await service.deleteExpired()).toBeGreaterThan(0);
      expect(await service.state(link.id)).toBe('missing');
      expect((await fetch(link.url)).status).toBe(410);
    } finally {
      clock.set(start);
    }
  });

  it(`makes at most ${EXPIRING_LINKS_PER_IMAGE_PER_HOUR} links per image an hour; beyond it 429 with Retry-After`, async () => {
    const busy = await upload(enterprise, await fixtures.png(30, 30));
    const [{ id: userId }] = (await t.dataSource.query(`SELECT id FROM users WHERE username = 'ent'`)) as Array<{
      id: string;
    }>;
    const tenMinutesAgo = new Date(clock.now().getTime() - 600_000);
    await t.dataSource.query(
      `INSERT INTO expiring_links (id, "imageId", "createdById", variant, "expiresAt", "revokedAt", "createdAt")
       SELECT gen_random_uuid(), $1, $2, 'original', $3, NULL, $4 FROM generate_series(1, $5)`,
      [
        busy.id,
        userId,
        new Date(clock.now().getTime() + 3600_000),
        tenMinutesAgo,
        EXPIRING_LINKS_PER_IMAGE_PER_HOUR - 2,
      ],
    );
    // Parallel requests cannot all slip past the count: of 5, exactly 2 fit.
    const statuses = (
      await Promise.all(Array.from({ length: 5 }, () => create(enterprise, busy.id, { expiresIn: 600 })))
    ).map((r) => r.status);
    expect(statuses.sort()).toEqual([201, 201, 429, 429, 429]);
    const refused = await create(enterprise, busy.id, { expiresIn: 600 }).expect(429);
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(Number(refused.headers['retry-after'])).toBe(3000); // when the oldest of the hour leaves it
    await createOk({ expiresIn: 600 }); // another image is not held back
    const start = clock.now().getTime();
    try {
      clock.set(start + 3001_000);
      await createOk({ expiresIn: 600 }, busy.id);
    } finally {
      clock.set(start);
    }
  });

  it('keeps working across a restart', async () => {
    const link = await createOk({ expiresIn: 3000 });
    await t.close({ keepDatabase: true, keepData: true });
    t = await bootApp({ clock, db: t.db, dataDir: t.config.dataDir });
    expect((await fetch(link.url.replace(/^http:\/\/127\.0\.0\.1:\d+/, t.baseUrl))).status).toBe(200);
  });
});
