import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics } from '../src/observability/metrics.js';
import { PrincipalCache } from '../src/auth/principal-cache.service.js';
import { TiersService } from '../src/tiers/tiers.service.js';
import { bootApp, type TestApp } from './support/app.js';
import { TestClock } from './support/clock.js';
import * as fixtures from './support/images.js';

const HOUR = 3600_000;

interface Me {
  tier: { maxUploadBytes: number | null; storageQuotaBytes: number | null; uploadsPerDay: number | null };
  usage: { images: number; storedBytes: number; uploadsToday: number };
}

/** Tier limits: upload size (413), storage quota (403), uploads per day (429), exact under parallel uploads. */
describe('tier limits', () => {
  let t: TestApp;
  const clock = new TestClock();
  let png: Buffer;

  beforeAll(async () => {
    // AVIF is made in the background and counted when made (README: tier limits); here only formats made with
    // the upload, so that usage is exact the moment the upload answers.
    t = await bootApp({ clock, env: { THUMBNAIL_FORMATS: 'webp' } });
    png = await fixtures.png(300, 240);
  });
  afterAll(() => t.close());

  const upload = (token: string, data: Buffer = png) =>
    t
      .http()
      .post('/api/images')
      .auth(token, { type: 'bearer' })
      .attach('file', data, { filename: 'a.png', contentType: 'image/png' });
  const me = async (token: string) =>
    (await t.http().get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200)).body as Me;
  const setTier = async (name: string, limits: Record<string, number | null>) => {
    await t.app.get(TiersService).setTier({ name, heights: [200], limits });
    await t.app.get(PrincipalCache).settled();
  };
  /** Bytes of a user's images in storage, counted on disk: what the quota is about. */
  const bytesOnDisk = async (userId: string) => {
    const ids: Array<{ id: string }> = await t.dataSource.query(`SELECT id FROM images WHERE "ownerId" = $1`, [userId]);
    let total = 0;
    for (const { id } of ids) {
      const dir = join(t.config.dataDir, 'files', 'images', id);
      for (const name of readdirSync(dir)) total += statSync(join(dir, name)).size;
    }
    return total;
  };
  const userId = async (username: string) =>
    ((await t.dataSource.query(`SELECT id FROM users WHERE username = $1`, [username])) as Array<{ id: string }>)[0].id;
  const refusals = async (limit: string) => {
    const metric = await t.app.get(Metrics).uploadRefusals.get();
    return metric.values.find((v) => v.labels.limit === limit)?.value ?? 0;
  };

  it('refuses a file over the tier’s maxUploadBytes with 413 naming the limit, early when declared', async () => {
    await setTier('Small', { maxUploadBytes: 2048 });
    const token = await t.login('small-user', { tier: 'Small' });
    expect((await me(token)).tier).toMatchObject({
      maxUploadBytes: 2048,
      storageQuotaBytes: null,
      uploadsPerDay: null,
    });
    const before = await refusals('tier_max_upload');
    // Over the tier's limit, though within what the declared length lets in: refused once the file is in.
    const big = await upload(token, await fixtures.png(150, 150)).expect(413);
    expect(big.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: "The file is larger than your tier's limit of 2 KiB (2048 bytes) per upload",
    });
    // Declared far beyond it: refused before the body is read, same message.
    const huge = await upload(token, await fixtures.png(900, 900)).expect(413);
    expect(huge.body.message).toContain('2 KiB');
    expect(await refusals('tier_max_upload')).toBe(before + 2);
    await upload(token, await fixtures.png(40, 40)).expect(201); // 1844 bytes
    expect(readdirSync(join(t.config.dataDir, 'uploads'))).toEqual([]);
  });

  it('never lets 12 parallel uploads near the quota pass it; a delete frees its bytes at once', async () => {
    await setTier('Quota', {});
    const token = await t.login('quota-user', { tier: 'Quota' });
    const id = await userId('quota-user');
    const first = await upload(token).expect(201);
    const one = (await me(token)).usage.storedBytes; // original plus its 200 px thumbnail
    expect(one).toBe(await bytesOnDisk(id));
    expect(one).toBeGreaterThan(first.body.bytes);
    // Room for four more, and most of a fifth.
    await setTier('Quota', { storageQuotaBytes: Math.floor(5.9 * one) });

    const statuses = (await Promise.all(Array.from({ length: 12 }, () => upload(token)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(4);
    expect(statuses.filter((s) => s === 403)).toHaveLength(8);
    const after = await me(token);
    expect(after.usage).toEqual({ images: 5, storedBytes: 5 * one, uploadsToday: 5 });
    expect(after.usage.storedBytes).toBeLessThanOrEqual(after.tier.storageQuotaBytes!);
    expect(await bytesOnDisk(id)).toBe(5 * one);
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM upload_reservations`)).toEqual([{ n: 0 }]);

    const refused = await upload(token).expect(403);
    expect(refused.body.message).toMatch(
      /^Storage quota of \d+ B reached: .* \(\d+ bytes\) in use; this upload needs /,
    );
    expect(refused.body.message).toContain(`(${5 * one} bytes) in use`);

    await t.http().delete(`/api/images/${first.body.id}`).auth(token, { type: 'bearer' }).expect(204);
    expect((await me(token)).usage).toMatchObject({ images: 4, storedBytes: 4 * one, uploadsToday: 5 });
    await upload(token).expect(201);
    expect((await me(token)).usage.storedBytes).toBe(5 * one);
  });

  it('counts thumbnails made later (on first request) toward stored bytes, once', async () => {
    await setTier('Later', {});
    const token = await t.login('later-user', { tier: 'Later' });
    const image = (await upload(token).expect(201)).body as { id: string };
    const before = (await me(token)).usage.storedBytes;
    // The tier now grants 120 px too: the thumbnail is made on its first request and kept.
    await t.app.get(TiersService).setTier({ name: 'Later', heights: [120, 200] });
    await t.app.get(PrincipalCache).settled();
    const listed = await t.http().get(`/api/images/${image.id}`).auth(token, { type: 'bearer' }).expect(200);
    const url = (listed.body.links.thumbnails as Array<{ height: number; url: string }>).find((l) => l.height === 120)!;
    const thumb = await fetch(url.url);
    expect(thumb.status).toBe(200);
    const size = (await thumb.arrayBuffer()).byteLength;
    // The served file, and the other formats made in the same decode (WebP here), each counted once.
    const after = (await me(token)).usage.storedBytes;
    expect(after).toBeGreaterThan(before + size);
    expect(after).toBe(await bytesOnDisk(await userId('later-user')));
    await Promise.all([fetch(url.url), fetch(url.url), fetch(url.url, { headers: { accept: 'image/webp' } })]);
    expect((await me(token)).usage.storedBytes).toBe(after);
  });

  it('allows uploadsPerDay in any 24 hours, then 429 with Retry-After until the oldest leaves the window', async () => {
    await setTier('Daily', { uploadsPerDay: 3 });
    let token = await t.login('daily-user', { tier: 'Daily' });
    const start = clock.now().getTime();
    const first = (await upload(token).expect(201)).body as { id: string };
    clock.advance(HOUR);
    await upload(token).expect(201);
    clock.advance(HOUR);
    await upload(token).expect(201);
    // A delete does not give an upload of the day back.
    await t.http().delete(`/api/images/${first.id}`).auth(token, { type: 'bearer' }).expect(204);

    const refused = await upload(token).expect(429);
    expect(refused.headers['retry-after']).toBe(String(22 * 3600));
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Upload limit of 3 per 24 hours reached; the next upload is possible in 79200 s.',
      retryAfter: 79200,
    });
    expect((await me(token)).usage.uploadsToday).toBe(3);

    clock.set(start + 24 * HOUR - 1000);
    token = await t.login('daily-user', { tier: 'Daily' }); // access tokens follow the clock too
    expect((await upload(token).expect(429)).headers['retry-after']).toBe('1');
    clock.set(start + 24 * HOUR + 1);
    token = await t.login('daily-user', { tier: 'Daily' });
    await upload(token).expect(201);
    expect((await me(token)).usage.uploadsToday).toBe(3);
  });

  it('keeps the counters across a restart (PostgreSQL holds them)', async () => {
    const token = await t.login('quota-user', { tier: 'Quota' });
    const before = await me(token);
    await t.close({ keepDatabase: true, keepData: true });
    t = await bootApp({ clock, db: t.db, dataDir: t.config.dataDir });
    const again = await t.login('quota-user', { tier: 'Quota' });
    expect((await me(again)).usage).toEqual(before.usage);
    await upload(again).expect(403);
  });
});
