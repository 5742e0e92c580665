import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { JobQueue } from '../src/jobs/job-queue.js';
import { PrincipalCache } from '../src/auth/principal-cache.service.js';
import { TiersService } from '../src/tiers/tiers.service.js';
import { bootApp, type TestApp } from './support/app.js';
import { ARTIFACTS, launchBrowser, recordCspViolations } from './support/browser.js';
import * as fixtures from './support/images.js';

interface ImageBody {
  id: string;
  links: { thumbnails: Array<{ height: number; url: string }>; original: string | null };
}

/**
 * An administrator in a browser at /admin (AdminJS), and what their edits do to the API. Every test logs in
 * with a browser context of its own and makes the records it needs, so each one runs alone or in any order.
 */
describe('admin panel in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let admin: string; // /admin
  const contexts: BrowserContext[] = [];
  const cspViolations: string[][] = []; // one list per page

  const ADMIN_PASSWORD = 'admin-password-1';
  const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    t.dataSource.query(sql, params) as Promise<T[]>;

  beforeAll(async () => {
    t = await bootApp();
    admin = `${t.baseUrl}/admin`;
    await t.login('root', { isAdmin: true, password: ADMIN_PASSWORD });
    await t.login('bob', { password: 'bob-password-1' }); // not an admin
    browser = await launchBrowser(); // no Chromium: this fails (never skips)
    // AdminJS is loaded on the first request under /admin (idle memory): here, not inside a page's 30 s timeout.
    expect((await fetch(`${admin}/login`)).status).toBe(200);
  }, 180_000);
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    // Every page worked under its Content-Security-Policy: nothing was refused on the way.
    expect(cspViolations.splice(0).flat()).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    contexts.push(context);
    const page = await context.newPage();
    cspViolations.push(recordCspViolations(page));
    return page;
  }
  async function submitLogin(page: Page, username: string, password: string) {
    await page.goto(`${admin}/login`);
    await page.fill('input[name="email"]', username);
    await page.fill('input[name="password"]', password);
    await page.click('form[action="/admin/login"] button');
    await page.waitForLoadState();
  }
  /** A page of its own with an administrator logged in. */
  async function asAdmin(username = 'root', password = ADMIN_PASSWORD): Promise<Page> {
    const page = await newPage();
    await submitLogin(page, username, password);
    await page.waitForURL(admin);
    return page;
  }
  async function save(page: Page, urlAfter: RegExp) {
    await page.click('[data-testid="button-save"]');
    await page.waitForURL(urlAfter);
  }
  const sessionId = async (page: Page) => {
    const cookie = (await page.context().cookies()).find((c) => c.name === 'image_api_admin');
    return cookie && decodeURIComponent(cookie.value).slice(2).split('.')[0]; // s:<sid>.<signature>
  };
  const userId = async (username: string) =>
    (await q<{ id: string }>(`SELECT id FROM users WHERE username = $1`, [username]))[0].id;

  /** A tier made through the service the panel uses, with sizes of these heights (created when missing). */
  async function tier(name: string, heights: number[], flags = { originalLink: false, expiringLinks: false }) {
    const tiers = t.app.get(TiersService);
    const sizeIds: number[] = [];
    for (const height of heights) {
      const [found] = await q<{ id: number }>(`SELECT id FROM sizes WHERE height = $1`, [height]);
      sizeIds.push(found?.id ?? (await tiers.saveSize(null, height)).id);
    }
    return tiers.saveTier(null, { name, ...flags, sizeIds });
  }
  async function upload(token: string, width = 600, height = 450): Promise<ImageBody> {
    const res = await t
      .http()
      .post('/api/images')
      .auth(token, { type: 'bearer' })
      .attach('file', await fixtures.png(width, height), 'x.png')
      .expect(201);
    return res.body as ImageBody;
  }

  it('refuses a non-admin with the right password like a wrong password', async () => {
    const page = await newPage();
    await submitLogin(page, 'bob', 'bob-password-1');
    await page.getByText('Wrong username or password').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await submitLogin(page, 'nobody', 'whatever-password');
    await page.getByText('Wrong username or password').waitFor();
    expect((await page.context().cookies()).find((c) => c.name === 'image_api_admin')).toBeUndefined();
    const res = await fetch(`${admin}/api/resources/User/actions/list`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/admin/login');
  });

  it('lets an admin in with an httpOnly, SameSite=Lax session cookie kept in PostgreSQL', async () => {
    const page = await asAdmin();
    const cookie = (await page.context().cookies()).find((c) => c.name === 'image_api_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/admin' });
    expect(await q(`SELECT sid FROM admin_sessions WHERE sid = $1`, [await sessionId(page)])).toHaveLength(1);
  });

  it('creates a size; a duplicate or out-of-range height is a form error', async () => {
    const page = await asAdmin();
    await page.goto(`${admin}/resources/Size/actions/new`);
    await page.fill('input[name="height"]', '151');
    await save(page, /\/admin\/resources\/Size(\/records\/\d+\/show|\?|$)/);
    expect(await q(`SELECT height FROM sizes WHERE height = 151`)).toHaveLength(1);

    await page.goto(`${admin}/resources/Size/actions/new`);
    await page.fill('input[name="height"]', '151');
    await page.click('[data-testid="button-save"]');
    await page.getByText('A size with height 151 already exists.').waitFor();
    await page.fill('input[name="height"]', '20000');
    await page.click('[data-testid="button-save"]');
    await page.getByText('Height must be a whole number from 1 to 10000.').waitFor();
    expect(await q(`SELECT height FROM sizes WHERE height IN (151, 20000)`)).toEqual([{ height: 151 }]);
  });

  it('creates a tier with two sizes, no original link, expiring links; a duplicate name is a form error', async () => {
    await tier('Seed of 160', [160]);
    const page = await asAdmin();
    await page.goto(`${admin}/resources/Tier/actions/new`);
    await page.fill('input[name="name"]', 'Studio');
    for (const [typed, height] of [
      ['16', '160'],
      ['4', '400'],
    ]) {
      await page.fill('#sizeIds', typed); // the SizeMultiSelect's react-select input; heights match by prefix
      await page.locator('.size-select__option', { hasText: new RegExp(`^${height}$`) }).click();
    }
    await page.locator('label[for="expiringLinks"]').click(); // design-system CheckBox: its label toggles it
    await page.waitForFunction(
      () => (document.querySelector('input#expiringLinks') as HTMLInputElement | null)?.checked === true,
    );
    await page.waitForTimeout(300); // the tick's CSS transition, for the screenshot people look at
    await page.screenshot({ path: join(ARTIFACTS, 'tier-form.png'), fullPage: true });
    await save(page, /\/admin\/resources\/Tier(\/records\/\d+\/show|\?|$)/);

    const rows = await q(
      `SELECT t."originalLink", t."expiringLinks", array_agg(s.height ORDER BY s.height) AS heights
         FROM tiers t JOIN tier_sizes ts ON ts."tierId" = t.id JOIN sizes s ON s.id = ts."sizeId"
        WHERE t.name = 'Studio' GROUP BY t.id`,
    );
    expect(rows).toEqual([{ originalLink: false, expiringLinks: true, heights: [160, 400] }]);

    await page.goto(`${admin}/resources/Tier/actions/new`);
    await page.fill('input[name="name"]', 'Studio');
    await page.click('[data-testid="button-save"]');
    await page.getByText('A tier named "Studio" already exists.').waitFor();
  });

  it('assigns a tier to a user; the API follows at once', async () => {
    await tier('Atelier', [170, 400], { originalLink: false, expiringLinks: true });
    const carolToken = await t.login('carol', { password: 'carol-password-1' }); // Basic
    const before = await t.http().get('/api/auth/me').auth(carolToken, { type: 'bearer' }).expect(200);
    expect(before.body.tier.name).toBe('Basic'); // now cached by the API

    const page = await asAdmin();
    await page.goto(`${admin}/resources/User/records/${await userId('carol')}/edit`);
    await page.click('[data-testid="property-edit-tierId"] input'); // the reference select (react-select)
    await page.keyboard.type('Atel');
    await page.getByText('Atelier', { exact: true }).last().click();
    await save(page, /\/admin\/resources\/User(\/records\/[^/]+\/show|\?|$)/);

    const me = await t.http().get('/api/auth/me').auth(carolToken, { type: 'bearer' }).expect(200);
    expect(me.body.tier).toEqual({
      id: expect.any(Number),
      name: 'Atelier',
      thumbnailHeights: [170, 400],
      originalLink: false,
      expiringLinks: true,
      maxUploadBytes: null,
      storageQuotaBytes: null,
      uploadsPerDay: null,
    });
    const image = await upload(carolToken);
    expect(image.links.thumbnails.map((l) => l.height)).toEqual([170, 400]);
    expect(image.links.original).toBeNull();
    const link = await t
      .http()
      .post(`/api/images/${image.id}/expiring-links`)
      .auth(carolToken, { type: 'bearer' })
      .send({ expiresIn: 600, variant: '170' })
      .expect(201);
    expect((await fetch(link.body.url as string)).status).toBe(200);
  });

  it('edits a tier’s limits in readable units, the API applies them at once, and the user’s page shows usage', async () => {
    await tier('Metered', [200]);
    const token = await t.login('erin', { tier: 'Metered', password: 'erin-password-1' });
    const first = await upload(token, 40, 40); // a 1844-byte PNG
    const [{ id }] = await q<{ id: number }>(`SELECT id FROM tiers WHERE name = 'Metered'`);
    const page = await asAdmin();
    await page.goto(`${admin}/resources/Tier/records/${id}/edit`);
    await page.fill('input[name="maxUpload"]', '10 parsecs');
    await page.click('[data-testid="button-save"]');
    await page.getByText('Unknown unit "parsecs" in "10 parsecs": use B, KiB, MiB, GiB or TiB.').waitFor();
    await page.fill('input[name="maxUpload"]', '2 KiB');
    await page.fill('input[name="storageQuota"]', '1.5GiB');
    await page.fill('input[name="uploadsPerDay"]', '100');
    await page.screenshot({ path: join(ARTIFACTS, 'tier-limits-form.png'), fullPage: true });
    await save(page, /\/admin\/resources\/Tier(\/records\/\d+\/show|\?|$)/);
    expect(
      await q(
        `SELECT "maxUploadBytes"::float8 AS max, "storageQuotaBytes"::float8 AS quota, "uploadsPerDay" FROM tiers WHERE id = $1`,
        [id],
      ),
    ).toEqual([{ max: 2048, quota: 1.5 * 1024 ** 3, uploadsPerDay: 100 }]);
    // Shown again the way a person typed it.
    await page.goto(`${admin}/resources/Tier/records/${id}/edit`);
    expect(await page.inputValue('input[name="maxUpload"]')).toBe('2 KiB');
    expect(await page.inputValue('input[name="storageQuota"]')).toBe('1536 MiB');

    const refused = await t
      .http()
      .post('/api/images')
      .auth(token, { type: 'bearer' })
      .attach('file', await fixtures.png(150, 150), 'x.png') // 4109 bytes
      .expect(413);
    expect(refused.body.message).toBe("The file is larger than your tier's limit of 2 KiB (2048 bytes) per upload");
    const me = await t.http().get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200);
    expect(me.body.tier).toMatchObject({
      maxUploadBytes: 2048,
      storageQuotaBytes: 1.5 * 1024 ** 3,
      uploadsPerDay: 100,
    });

    const [{ stored }] = await q<{ stored: string }>(`SELECT "storedBytes" AS stored FROM images WHERE id = $1`, [
      first.id,
    ]);
    await page.goto(`${admin}/resources/User/records/${await userId('erin')}/show`);
    await page.getByText(`1 image, `, { exact: false }).waitFor();
    await page.getByText(`(${stored} bytes), 1 upload in the last 24 hours`, { exact: false }).waitFor();
  });

  it('shows image previews in the list (the owner’s smallest thumbnail)', async () => {
    await tier('Preview', [120, 300]);
    const token = await t.login('erin', { tier: 'Preview', password: 'erin-password-1' });
    const image = await upload(token);
    const page = await asAdmin();
    await page.goto(`${admin}/resources/Image`);
    const thumb = page.locator(`img[data-testid="image-thumb"][src*="/media/${image.id}/"]`);
    await thumb.waitFor();
    expect(await thumb.getAttribute('src')).toMatch(new RegExp(`/media/${image.id}/[^/]+/120\\.png$`));
    await thumb.evaluate((img: HTMLImageElement) =>
      img.complete && img.naturalWidth > 0 ? undefined : new Promise((resolve) => (img.onload = resolve)),
    );
    expect(await thumb.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBe(120);
  });

  it('revokes an expiring link: its URL stops working; a cross-site request cannot', async () => {
    const token = await t.login('frank', { tier: 'Enterprise', password: 'frank-password-1' });
    const image = await upload(token, 60, 40);
    const link = await t
      .http()
      .post(`/api/images/${image.id}/expiring-links`)
      .auth(token, { type: 'bearer' })
      .send({ expiresIn: 600 })
      .expect(201);
    const { id: linkId, url: linkUrl } = link.body as { id: string; url: string };
    expect((await fetch(linkUrl)).status).toBe(200);

    const page = await asAdmin();
    const crossSite = await page.request.get(`${admin}/api/resources/ExpiringLink/records/${linkId}/revoke`, {
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status()).toBe(403);
    expect(await crossSite.json()).toMatchObject({ statusCode: 403, message: 'Cross-site request refused' });
    expect(await q(`SELECT "revokedAt" FROM expiring_links WHERE id = $1`, [linkId])).toEqual([{ revokedAt: null }]);

    await page.goto(`${admin}/resources/ExpiringLink/records/${linkId}/show`);
    await page.getByTestId('link-state').getByText('active').waitFor();
    await page.click('[data-testid="action-revoke"]');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Link revoked').waitFor();
    await page.getByTestId('link-state').getByText('revoked').waitFor();

    const [{ revokedAt }] = await q<{ revokedAt: Date | null }>(
      `SELECT "revokedAt" FROM expiring_links WHERE id = $1`,
      [linkId],
    );
    expect(revokedAt).toBeInstanceOf(Date);
    expect((await fetch(linkUrl)).status).toBe(410);
  });

  it('never sends a password hash to the browser; creates users with a hashed password', async () => {
    const page = await asAdmin();
    for (const path of ['User/actions/list', 'Image/actions/list', 'ExpiringLink/actions/list']) {
      const body = await (await page.request.get(`${admin}/api/resources/${path}`)).text();
      expect(body).not.toMatch(/passwordHash|\$argon2/);
    }
    await page.goto(`${admin}/resources/User/actions/new`);
    await page.fill('input[name="username"]', 'dave');
    await page.fill('input[name="password"]', 'dave-password-1');
    const [created] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/resources/User/actions/new')),
      save(page, /\/admin\/resources\/User(\/records\/[^/]+\/show|\?|$)/),
    ]);
    expect(await created.text()).not.toMatch(/passwordHash|\$argon2|dave-password/);
    const [dave] = await q<{ passwordHash: string; tier: string }>(
      `SELECT u."passwordHash", t.name AS tier FROM users u JOIN tiers t ON t.id = u."tierId" WHERE username = 'dave'`,
    );
    expect(dave).toEqual({ passwordHash: expect.stringMatching(/^\$argon2id\$/), tier: 'Basic' });
    await t.http().post('/api/auth/token').send({ username: 'dave', password: 'dave-password-1' }).expect(200);

    // The same rules as the API and the CLI: a short password is a form error, nothing is stored.
    await page.goto(`${admin}/resources/User/actions/new`);
    await page.fill('input[name="username"]', 'dora');
    await page.fill('input[name="password"]', 'short');
    await page.click('[data-testid="button-save"]');
    await page.getByText('The password must be at least 8 characters.').waitFor();
    expect(await q(`SELECT id FROM users WHERE username = 'dora'`)).toEqual([]);
  });

  it('ignores filters on the password hash and unknown sort columns', async () => {
    const page = await asAdmin();
    const list = async (query: string) => {
      const res = await page.request.get(`${admin}/api/resources/User/actions/list?${query}`);
      expect(res.status()).toBe(200);
      return ((await res.json()) as { records: Array<{ params: { username: string } }> }).records.map(
        (r) => r.params.username,
      );
    };
    const all = await list('');
    expect(all).toContain('root');
    expect(await list(`filters.passwordHash=${encodeURIComponent('$argon2id$v=19$no-such-hash')}`)).toEqual(all);
    expect(await list('sortBy=passwordHash&direction=desc')).toHaveLength(all.length);
    expect(await list('sortBy=no_such_column')).toHaveLength(all.length);
  });

  it('deletes an image with its files, and a user with their images', async () => {
    const token = await t.login('gina', { tier: 'Premium', password: 'gina-password-1' });
    const image = await upload(token);
    const files = join(t.config.dataDir, 'files', 'images', image.id);
    await t.app.get(JobQueue).drain();
    expect(existsSync(files)).toBe(true);

    const page = await asAdmin();
    await page.goto(`${admin}/resources/Image/records/${image.id}/show`);
    await page.locator('img[data-testid="image-thumb"]').waitFor(); // the preview on the show page
    await page.click('[data-testid="action-delete"]');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/\/admin\/resources\/Image(\?|$)/);
    expect(await q(`SELECT id FROM images WHERE id = $1`, [image.id])).toEqual([]);
    await t.app.get(JobQueue).drain();
    expect(existsSync(files)).toBe(false);
    expect((await fetch(image.links.thumbnails[0].url)).status).toBe(404);

    const other = await upload(token, 40, 30);
    const ginaId = await userId('gina');
    const res = await page.request.post(`${admin}/api/resources/User/records/${ginaId}/delete`);
    expect(res.status()).toBe(200);
    expect((await res.json()).notice).toMatchObject({ type: 'success' });
    expect(await q(`SELECT id FROM users WHERE id = $1`, [ginaId])).toEqual([]);
    expect(await q(`SELECT id FROM images WHERE id = $1`, [other.id])).toEqual([]);
    await t.app.get(JobQueue).drain(); // its thumbnail job may still be running: it removes what it wrote late
    expect(existsSync(join(t.config.dataDir, 'files', 'images', other.id))).toBe(false);
  });

  it('refuses deletes that would break data or lock the admin out; a demoted admin is out at once', async () => {
    const page = await asAdmin();
    const action = async (path: string, multipart?: Record<string, string>) =>
      (await (await page.request.post(`${admin}/api/resources/${path}`, multipart ? { multipart } : {})).json()) as {
        notice?: { type: string; message: string };
      };
    const crowded = await tier('Crowded', [200]);
    await t.login('crowd-1', { tier: 'Crowded' });
    await t.login('crowd-2', { tier: 'Crowded' });
    expect((await action(`Tier/records/${crowded.id}/delete`)).notice).toEqual({
      type: 'error',
      message: '2 users are still on this tier: move them to another tier first.',
    });
    expect(await q(`SELECT id FROM tiers WHERE id = $1`, [crowded.id])).toHaveLength(1);
    const rootId = await userId('root');
    expect((await action(`User/records/${rootId}/delete`)).notice).toMatchObject({
      type: 'error',
      message: 'You cannot delete your own account.',
    });
    expect(await q(`SELECT id FROM users WHERE id = $1`, [rootId])).toHaveLength(1);

    // Editing a tier down to no sizes at all (what the form sends for an emptied multi-select).
    const emptied = await tier('Emptied', [200, 400]);
    const edited = await action(`Tier/records/${emptied.id}/edit`, {
      name: 'Emptied',
      sizeIds: '__FORM_VALUE_EMPTY_ARRAY__',
      originalLink: 'true',
      expiringLinks: 'true',
    });
    expect(edited.notice).toMatchObject({ type: 'success' });
    expect(await q(`SELECT * FROM tier_sizes WHERE "tierId" = $1`, [emptied.id])).toEqual([]);
    expect(await q(`SELECT "originalLink" FROM tiers WHERE id = $1`, [emptied.id])).toEqual([{ originalLink: true }]);
    await t.app.get(PrincipalCache).settled();

    // Another administrator's session ends as soon as they are no longer one.
    await t.login('eve', { isAdmin: true, password: 'eve-password-1' });
    const evePage = await asAdmin('eve', 'eve-password-1');
    const list = `${admin}/api/resources/User/actions/list`;
    expect((await evePage.request.get(list, { maxRedirects: 0 })).status()).toBe(200);
    await q(`UPDATE users SET "isAdmin" = false WHERE username = 'eve'`);
    const after = await evePage.request.get(list, { maxRedirects: 0 });
    expect(after.status()).toBe(302);
    expect(after.headers().location).toBe('/admin/login');
  });

  it('refuses cross-site and same-site writes made with an administrator’s cookie', async () => {
    const page = await asAdmin();
    const foreignOrigins = ['http://evil.example', `http://127.0.0.1:${Number(new URL(t.baseUrl).port) + 1}`];
    const attempts: Array<{ name: string; headers: Record<string, string>; body: object }> = [];
    for (const origin of foreignOrigins) {
      attempts.push(
        { name: `form from ${origin}`, headers: { origin }, body: { form: { height: '777' } } },
        {
          name: `JSON from ${origin}`,
          headers: { origin, 'content-type': 'application/json' },
          body: { data: JSON.stringify({ height: 777 }) },
        },
        { name: `multipart from ${origin}`, headers: { origin }, body: { multipart: { height: '777' } } },
      );
    }
    attempts.push(
      {
        name: 'Sec-Fetch-Site: same-site',
        headers: { 'sec-fetch-site': 'same-site' },
        body: { form: { height: '777' } },
      },
      {
        name: 'Sec-Fetch-Site: cross-site',
        headers: { 'sec-fetch-site': 'cross-site' },
        body: { form: { height: '777' } },
      },
    );
    for (const { name, headers, body } of attempts) {
      const res = await page.request.post(`${admin}/api/resources/Size/actions/new`, { headers, ...body });
      expect([name, res.status()]).toEqual([name, 403]);
      expect(await res.json()).toMatchObject({ statusCode: 403, message: expect.stringMatching(/Cross-site/) });
    }
    // Making an administrator or deleting records is refused the same way.
    const bobId = await userId('bob');
    const promote = await page.request.post(`${admin}/api/resources/User/records/${bobId}/edit`, {
      headers: { origin: 'http://evil.example' },
      multipart: { username: 'bob', isAdmin: 'true' },
    });
    expect(promote.status()).toBe(403);
    const remove = await page.request.post(`${admin}/api/resources/User/records/${bobId}/delete`, {
      headers: { 'sec-fetch-site': 'same-site' },
    });
    expect(remove.status()).toBe(403);
    expect(await q(`SELECT "isAdmin" FROM users WHERE id = $1`, [bobId])).toEqual([{ isAdmin: false }]);
    expect(await q(`SELECT id FROM sizes WHERE height = 777`)).toEqual([]);

    // The panel's own origin (what the browser sends from its own pages) still works.
    const own = await page.request.post(`${admin}/api/resources/Size/actions/new`, {
      headers: { origin: new URL(t.baseUrl).origin, 'sec-fetch-site': 'same-origin' },
      multipart: { height: '777' },
    });
    expect(own.status()).toBe(200);
    expect(await q(`SELECT height FROM sizes WHERE height = 777`)).toEqual([{ height: 777 }]);
  });

  it('cannot be framed and loads nothing from other hosts', async () => {
    const res = await fetch(`${admin}/login`);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).not.toMatch(/fonts\.googleapis/);

    const page = await newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await submitLogin(page, 'root', ADMIN_PASSWORD);
    await page.waitForURL(admin);
    await page.goto(`${admin}/resources/User`);
    await page.locator('[data-testid="property-list-username"]').first().waitFor();
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((url) => !url.startsWith(t.baseUrl) && !url.startsWith('data:'))).toEqual([]);
  });

  it('answers broken or unsupported bodies under /admin with a 4xx, not a 500', async () => {
    const post = (path: string, contentType: string, body: string) =>
      fetch(`${admin}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body, redirect: 'manual' });
    const cases: Array<[string, string, string]> = [
      ['/login', 'multipart/form-data; boundary=xyz', '--xyz\r\nbroken'],
      ['/login', 'multipart/form-data', 'no boundary at all'],
      ['/api/resources/User/actions/new', 'application/json', '{broken'],
      ['/api/resources/User/actions/new', 'application/xml', '<a/>'],
      ['/api/resources/Size/actions/new', 'multipart/form-data; boundary=q', '--q\r\nContent-Disposition: form'],
    ];
    for (const [path, type, body] of cases) {
      const res = await post(path, type, body);
      expect([path, type, res.status >= 300 && res.status < 500]).toEqual([path, type, true]);
    }
  });

  it('checks at most 10 passwords a minute for one username and address, however many arrive at once', async () => {
    await t.login('hugo', { isAdmin: true, password: 'hugo-password-1' });
    const attempts = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${admin}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `email=hugo&password=wrong-${i}`,
        }).then((r) => r.text()),
      ),
    );
    const checked = attempts.filter((html) => html.includes('"errorMessage":"invalidCredentials"'));
    const limited = attempts.filter((html) => html.includes('Too many failed logins'));
    expect([checked.length, limited.length]).toEqual([10, 30]);
  });

  it('logs out', async () => {
    const page = await asAdmin();
    const sid = await sessionId(page);
    await page.goto(`${admin}/logout`);
    await page.waitForURL(`${admin}/login`);
    await page.goto(`${admin}/resources/User`);
    await page.waitForURL(`${admin}/login`);
    expect(await q(`SELECT sid FROM admin_sessions WHERE sid = $1`, [sid])).toEqual([]);
  });
});
