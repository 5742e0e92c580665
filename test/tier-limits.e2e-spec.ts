import { jest } from '@jest/globals';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JobQueue } from '../src/jobs/job-queue.js';
import { ImageProcessor } from '../src/media/image-processor.js';
import { Metrics } from '../src/observability/metrics.js';
import { PrincipalCache } from '../src/auth/principal-cache.service.js';
import { TiersService } from '../src/tiers/tiers.service.js';
import { bootApp, type TestApp } from './support/app.js';
import { TestClock } from './support/clock.js';
import * as fixtures from './support/images.js';

const HOUR = 3600_000;

interface Image {
  id: string;
  links: { thumbnails: Array<{ height: number; url: string }> };
}

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
    // The default THUMBNAIL_FORMATS (webp, avif): AVIF is made in the background and kept only if it fits.
    t = await bootApp({ clock });
    png = await fixtures.png(300, 240);
  });
  afterAll(() => t.close());

  /** Lets the background jobs (AVIF) finish: after it, usage and storage are final. */
  const drain = () => t.app.get(JobQueue).drain();
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
  const avifsOnDisk = (imageId: string) =>
    readdirSync(join(t.config.dataDir, 'files', 'images', imageId)).filter((name) => name.endsWith('.avif'));
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
    await drain();
    const one = (await me(token)).usage.storedBytes; // original, its 200 px thumbnail, WebP and AVIF
    expect(one).toBe(await bytesOnDisk(id));
    expect(avifsOnDisk(first.body.id)).toHaveLength(1);
    // Room for four more with their AVIFs, and most of a fifth.
    const quota = Math.floor(5.9 * one);
    await setTier('Quota', { storageQuotaBytes: quota });

    const statuses = (await Promise.all(Array.from({ length: 12 }, () => upload(token)))).map((r) => r.status);
    await drain();
    // Four fit whatever the order; a fifth only if it came before enough AVIFs (which cost less than it).
    const created = statuses.filter((s) => s === 201).length;
    expect(created === 4 || created === 5).toBe(true);
    expect(statuses.filter((s) => s === 403)).toHaveLength(12 - created);
    const after = await me(token);
    expect(after.usage).toMatchObject({ images: 1 + created, uploadsToday: 1 + created });
    expect(after.usage.storedBytes).toBeLessThanOrEqual(quota);
    expect(await bytesOnDisk(id)).toBe(after.usage.storedBytes);
    expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM upload_reservations`)).toEqual([{ n: 0 }]);

    const refused = await upload(token).expect(403);
    expect(refused.body.message).toMatch(
      /^Storage quota of \d+ B reached: .* \(\d+ bytes\) in use; this upload needs /,
    );
    expect(refused.body.message).toContain(`(${after.usage.storedBytes} bytes) in use`);

    await t.http().delete(`/api/images/${first.body.id}`).auth(token, { type: 'bearer' }).expect(204);
    expect((await me(token)).usage).toMatchObject({
      images: created,
      storedBytes: after.usage.storedBytes - one,
      uploadsToday: 1 + created,
    });
    await upload(token).expect(201);
    await drain();
    expect((await me(token)).usage.storedBytes).toBeLessThanOrEqual(quota);
    expect(await bytesOnDisk(id)).toBe((await me(token)).usage.storedBytes);
  });

  it('keeps a background AVIF only if it fits the quota; serves WebP meanwhile, decoding no more until a delete makes room', async () => {
    await setTier('Edge', {});
    const token = await t.login('edge-user', { tier: 'Edge' });
    const id = await userId('edge-user');
    const first = (await upload(token).expect(201)).body as { id: string };
    await drain();
    const full = (await me(token)).usage.storedBytes;
    const avif = statSync(join(t.config.dataDir, 'files', 'images', first.id, 'h200.avif')).size;
    // Room for a second upload of the same image and half of its AVIF: the upload fits, its AVIF does not.
    const quota = 2 * full - avif + Math.floor(avif / 2);
    await setTier('Edge', { storageQuotaBytes: quota });
    const second = (await upload(token).expect(201)).body as Image;
    await drain();
    expect((await me(token)).usage.storedBytes).toBe(2 * full - avif);
    expect(await bytesOnDisk(id)).toBe(2 * full - avif);
    expect(avifsOnDisk(second.id)).toEqual([]);

    // Asking for AVIF gets the WebP, provisionally, and no decode of the original (no job loop).
    const decodes = jest.spyOn(t.app.get(ImageProcessor), 'thumbnails');
    const link = second.links.thumbnails[0]!.url;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(link, { headers: { accept: 'image/avif,image/webp,*/*' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/webp');
      expect(res.headers.get('cache-control')).toBe('public, max-age=30');
      await drain();
      clock.advance(61_000); // past the recheck pause: the job runs and only reads the room
    }
    expect(decodes).not.toHaveBeenCalled();
    expect(avifsOnDisk(second.id)).toEqual([]);

    // A delete makes room: the next request queues it, the AVIF is made and kept, and served from then on.
    await t.http().delete(`/api/images/${first.id}`).auth(token, { type: 'bearer' }).expect(204);
    await fetch(link, { headers: { accept: 'image/avif' } });
    await drain();
    expect(decodes).toHaveBeenCalledTimes(1);
    decodes.mockRestore();
    expect(avifsOnDisk(second.id)).toEqual(['h200.avif']);
    const res = await fetch(link, { headers: { accept: 'image/avif' } });
    expect(res.headers.get('content-type')).toBe('image/avif');
    expect((await me(token)).usage.storedBytes).toBe(full);
    expect(await bytesOnDisk(id)).toBe(full);
  });

  it('counts thumbnails made later (on first request) toward stored bytes, once', async () => {
    await setTier('Later', {});
    const token = await t.login('later-user', { tier: 'Later' });
    const image = (await upload(token).expect(201)).body as { id: string };
    await drain();
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
