import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { JobQueue } from '../src/jobs/job-queue.js';
import { bootApp, type TestApp } from './support/app.js';
import { ARTIFACTS, launchBrowser, recordCspViolations } from './support/browser.js';
import * as fixtures from './support/images.js';

interface ImageBody {
  id: string;
  links: { thumbnails: Array<{ height: number; url: string }>; original: string | null };
}

/** An administrator in a browser at /admin (AdminJS), and what their edits do to the API. */
describe('admin panel in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let cspViolations: string[] = [];
  let admin: string; // /admin
  let carolToken: string;
  let image: ImageBody;
  let linkUrl: string;
  let linkId: string;

  const ADMIN_PASSWORD = 'admin-password-1';
  const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    t.dataSource.query(sql, params) as Promise<T[]>;

  beforeAll(async () => {
    t = await bootApp();
    admin = `${t.baseUrl}/admin`;
    await t.login('root', { isAdmin: true, password: ADMIN_PASSWORD });
    await t.login('bob', { password: 'bob-password-1' }); // not an admin
    carolToken = await t.login('carol', { password: 'carol-password-1' }); // Basic for now
    browser = await launchBrowser(); // no Chromium: this fails (never skips)
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    cspViolations = recordCspViolations(page);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function submitLogin(username: string, password: string) {
    await page.goto(`${admin}/login`);
    await page.fill('input[name="email"]', username);
    await page.fill('input[name="password"]', password);
    await page.click('form[action="/admin/login"] button');
    await page.waitForLoadState();
  }
  async function save(urlAfter: RegExp) {
    await page.click('[data-testid="button-save"]');
    await page.waitForURL(urlAfter);
  }

  it('refuses a non-admin with the right password like a wrong password', async () => {
    await submitLogin('bob', 'bob-password-1');
    await page.getByText('Wrong username or password').waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await submitLogin('nobody', 'whatever-password');
    await page.getByText('Wrong username or password').waitFor();
    expect((await page.context().cookies()).find((c) => c.name === 'image_api_admin')).toBeUndefined();
    const res = await fetch(`${admin}/api/resources/User/actions/list`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/admin/login');
  });

  it('lets an admin in with an httpOnly, SameSite=Lax session cookie kept in PostgreSQL', async () => {
    await submitLogin('root', ADMIN_PASSWORD);
    await page.waitForURL(admin);
    const cookie = (await page.context().cookies()).find((c) => c.name === 'image_api_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false, path: '/admin' });
    const [{ n }] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM admin_sessions`);
    expect(n).toBe(1);
  });

  it('creates a size; a duplicate or out-of-range height is a form error', async () => {
    await page.goto(`${admin}/resources/Size/actions/new`);
    await page.fill('input[name="height"]', '150');
    await save(/\/admin\/resources\/Size(\/records\/\d+\/show|\?|$)/);
    expect(await q(`SELECT height FROM sizes WHERE height = 150`)).toHaveLength(1);

    await page.goto(`${admin}/resources/Size/actions/new`);
    await page.fill('input[name="height"]', '150');
    await page.click('[data-testid="button-save"]');
    await page.getByText('A size with height 150 already exists.').waitFor();
    await page.fill('input[name="height"]', '20000');
    await page.click('[data-testid="button-save"]');
    await page.getByText('Height must be a whole number from 1 to 10000.').waitFor();
    expect(await q(`SELECT height FROM sizes ORDER BY height`)).toEqual([
      { height: 150 },
      { height: 200 },
      { height: 400 },
    ]);
  });

  it('creates the tier Studio with sizes 150 and 400, no original link, expiring links', async () => {
    await page.goto(`${admin}/resources/Tier/actions/new`);
    await page.fill('input[name="name"]', 'Studio');
    for (const [typed, height] of [
      ['15', '150'],
      ['4', '400'],
    ]) {
      await page.fill('#sizeIds', typed); // the SizeMultiSelect's react-select input; heights match by prefix
      await page.locator('.size-select__option', { hasText: new RegExp(`^${height}$`) }).click();
    }
    await page.locator('label[for="expiringLinks"]').click(); // design-system CheckBox: its label toggles it
    await page.waitForFunction(
      () => (document.querySelector('input#expiringLinks') as HTMLInputElement | null)?.checked === true,
    );
    await page.waitForTimeout(300); // the tick's CSS transition, for the screenshot
    await page.screenshot({ path: join(ARTIFACTS, 'tier-form.png'), fullPage: true });
    await save(/\/admin\/resources\/Tier(\/records\/\d+\/show|\?|$)/);

    const rows = await q(
      `SELECT t."originalLink", t."expiringLinks", array_agg(s.height ORDER BY s.height) AS heights
         FROM tiers t JOIN tier_sizes ts ON ts."tierId" = t.id JOIN sizes s ON s.id = ts."sizeId"
        WHERE t.name = 'Studio' GROUP BY t.id`,
    );
    expect(rows).toEqual([{ originalLink: false, expiringLinks: true, heights: [150, 400] }]);
    expect(existsSync(join(ARTIFACTS, 'tier-form.png'))).toBe(true);

    // A second tier with the same name is a form error, not a 500.
    await page.goto(`${admin}/resources/Tier/actions/new`);
    await page.fill('input[name="name"]', 'Studio');
    await page.click('[data-testid="button-save"]');
    await page.getByText('A tier named "Studio" already exists.').waitFor();
  });

  it('assigns Studio to a user; the API follows at once', async () => {
    const [{ id: carolId }] = await q<{ id: string }>(`SELECT id FROM users WHERE username = 'carol'`);
    const before = await t.http().get('/api/auth/me').auth(carolToken, { type: 'bearer' }).expect(200);
    expect(before.body.tier.name).toBe('Basic'); // now cached by the API

    await page.goto(`${admin}/resources/User/records/${carolId}/edit`);
    await page.click('[data-testid="property-edit-tierId"] input'); // the reference select (react-select)
    await page.keyboard.type('Stud');
    await page.getByText('Studio', { exact: true }).last().click();
    await save(/\/admin\/resources\/User(\/records\/[^/]+\/show|\?|$)/);

    const me = await t.http().get('/api/auth/me').auth(carolToken, { type: 'bearer' }).expect(200);
    expect(me.body.tier).toEqual({
      id: expect.any(Number),
      name: 'Studio',
      thumbnailHeights: [150, 400],
      originalLink: false,
      expiringLinks: true,
    });

    const upload = await t
      .http()
      .post('/api/images')
      .auth(carolToken, { type: 'bearer' })
      .attach('file', await fixtures.png(600, 450), 'studio.png')
      .expect(201);
    image = upload.body as ImageBody;
    expect(image.links.thumbnails.map((l) => l.height)).toEqual([150, 400]);
    expect(image.links.original).toBeNull();

    const link = await t
      .http()
      .post(`/api/images/${image.id}/expiring-links`)
      .auth(carolToken, { type: 'bearer' })
      .send({ expiresIn: 600, variant: '150' })
      .expect(201);
    expect(link.body).toMatchObject({ id: expect.any(String), url: expect.any(String), variant: '150' });
    linkUrl = link.body.url as string;
    linkId = link.body.id as string;
    expect((await fetch(linkUrl)).status).toBe(200);
  });

  it('shows image previews in the list (the owner’s smallest thumbnail)', async () => {
    await page.goto(`${admin}/resources/Image`);
    const thumb = page.locator('img[data-testid="image-thumb"]').first();
    await thumb.waitFor();
    expect(await thumb.getAttribute('src')).toMatch(new RegExp(`/media/${image.id}/[^/]+/150\\.png$`));
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('img[data-testid="image-thumb"]')].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    expect(await thumb.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBe(150);
  });

  it('revokes an expiring link: its URL stops working; a cross-site request cannot', async () => {
    const crossSite = await page.request.get(`${admin}/api/resources/ExpiringLink/records/${linkId}/revoke`, {
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect((await crossSite.json()).notice).toMatchObject({ type: 'error' });
    expect(await q(`SELECT "revokedAt" FROM expiring_links WHERE id = $1`, [linkId])).toEqual([{ revokedAt: null }]);

    await page.goto(`${admin}/resources/ExpiringLink`);
    await page.getByTestId('link-state').getByText('active').waitFor();
    await page.goto(`${admin}/resources/ExpiringLink/records/${linkId}/show`);
    await page.click('[data-testid="action-revoke"]');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('Link revoked').waitFor();
    await page.getByTestId('link-state').getByText('revoked').waitFor();

    const [{ revokedAt }] = await q<{ revokedAt: Date | null }>(
      `SELECT "revokedAt" FROM expiring_links WHERE id = $1`,
      [linkId],
    );
    expect(revokedAt).toBeInstanceOf(Date);
    expect([404, 410]).toContain((await fetch(linkUrl)).status);
  });

  it('never sends a password hash to the browser; creates users with a hashed password', async () => {
    for (const path of ['User/actions/list', 'Image/actions/list', 'ExpiringLink/actions/list']) {
      const body = await (await page.request.get(`${admin}/api/resources/${path}`)).text();
      expect(body).not.toMatch(/passwordHash|\$argon2/);
    }
    await page.goto(`${admin}/resources/User/actions/new`);
    await page.fill('input[name="username"]', 'dave');
    await page.fill('input[name="password"]', 'dave-password-1');
    const [created] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/resources/User/actions/new')),
      save(/\/admin\/resources\/User(\/records\/[^/]+\/show|\?|$)/),
    ]);
    expect(await created.text()).not.toMatch(/passwordHash|\$argon2|dave-password/);
    const [dave] = await q<{ passwordHash: string; tier: string }>(
      `SELECT u."passwordHash", t.name AS tier FROM users u JOIN tiers t ON t.id = u."tierId" WHERE username = 'dave'`,
    );
    expect(dave).toEqual({ passwordHash: expect.stringMatching(/^\$argon2id\$/), tier: 'Basic' });
    await t.http().post('/api/auth/token').send({ username: 'dave', password: 'dave-password-1' }).expect(200);
  });

  it('deletes an image with its files, and a user with their images', async () => {
    const files = join(t.config.dataDir, 'files', 'images', image.id);
    expect(existsSync(files)).toBe(true);
    await page.goto(`${admin}/resources/Image/records/${image.id}/show`);
    await page.locator('img[data-testid="image-thumb"]').waitFor(); // the preview on the show page
    await page.click('[data-testid="action-delete"]');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/\/admin\/resources\/Image(\?|$)/);
    expect(await q(`SELECT id FROM images WHERE id = $1`, [image.id])).toEqual([]);
    await t.app.get(JobQueue).drain();
    expect(existsSync(files)).toBe(false);
    expect((await fetch(image.links.thumbnails[0].url)).status).toBe(404);

    const other = (
      await t
        .http()
        .post('/api/images')
        .auth(carolToken, { type: 'bearer' })
        .attach('file', await fixtures.png(40, 30), 'x.png')
        .expect(201)
    ).body as ImageBody;
    const [{ id: carolId }] = await q<{ id: string }>(`SELECT id FROM users WHERE username = 'carol'`);
    const res = await page.request.post(`${admin}/api/resources/User/records/${carolId}/delete`);
    expect(res.status()).toBe(200);
    expect((await res.json()).notice).toMatchObject({ type: 'success' });
    expect(await q(`SELECT id FROM users WHERE id = $1`, [carolId])).toEqual([]);
    expect(await q(`SELECT id FROM images WHERE id = $1`, [other.id])).toEqual([]);
    await t.app.get(JobQueue).drain(); // its thumbnail job may still be running: it removes what it wrote late
    expect(existsSync(join(t.config.dataDir, 'files', 'images', other.id))).toBe(false);
  });

  it('refuses deletes that would break data or lock the admin out; a demoted admin is out at once', async () => {
    const action = async (path: string, multipart?: Record<string, string>) =>
      (await (await page.request.post(`${admin}/api/resources/${path}`, multipart ? { multipart } : {})).json()) as {
        notice?: { type: string; message: string };
      };
    const [{ id: basicId }] = await q<{ id: number }>(`SELECT id FROM tiers WHERE name = 'Basic'`);
    expect((await action(`Tier/records/${basicId}/delete`)).notice).toEqual({
      type: 'error',
      message: '3 users are still on this tier: move them to another tier first.', // root, bob, dave
    });
    expect(await q(`SELECT id FROM tiers WHERE id = $1`, [basicId])).toHaveLength(1);
    const [{ id: rootId }] = await q<{ id: string }>(`SELECT id FROM users WHERE username = 'root'`);
    expect((await action(`User/records/${rootId}/delete`)).notice).toMatchObject({
      type: 'error',
      message: 'You cannot delete your own account.',
    });
    expect(await q(`SELECT id FROM users WHERE id = $1`, [rootId])).toHaveLength(1);

    // Editing a tier down to no sizes at all (what the form sends for an emptied multi-select).
    const [{ id: studioId }] = await q<{ id: number }>(`SELECT id FROM tiers WHERE name = 'Studio'`);
    const edited = await action(`Tier/records/${studioId}/edit`, {
      name: 'Studio',
      sizeIds: '__FORM_VALUE_EMPTY_ARRAY__',
      originalLink: 'true',
      expiringLinks: 'true',
    });
    expect(edited.notice).toMatchObject({ type: 'success' });
    expect(await q(`SELECT * FROM tier_sizes WHERE "tierId" = $1`, [studioId])).toEqual([]);
    expect(await q(`SELECT "originalLink" FROM tiers WHERE id = $1`, [studioId])).toEqual([{ originalLink: true }]);

    // Another administrator's session ends as soon as they are no longer one.
    await t.login('eve', { isAdmin: true, password: 'eve-password-1' });
    const eve = await browser.newContext();
    try {
      const evePage = await eve.newPage();
      await evePage.goto(`${admin}/login`);
      await evePage.fill('input[name="email"]', 'eve');
      await evePage.fill('input[name="password"]', 'eve-password-1');
      await evePage.click('form[action="/admin/login"] button');
      await evePage.waitForURL(admin);
      const list = `${admin}/api/resources/User/actions/list`;
      expect((await eve.request.get(list, { maxRedirects: 0 })).status()).toBe(200);
      await q(`UPDATE users SET "isAdmin" = false WHERE username = 'eve'`);
      const after = await eve.request.get(list, { maxRedirects: 0 });
      expect(after.status()).toBe(302);
      expect(after.headers().location).toBe('/admin/login');
    } finally {
      await eve.close();
    }
  });

  it('logs out', async () => {
    await page.goto(`${admin}/logout`);
    await page.waitForURL(`${admin}/login`);
    await page.goto(`${admin}/resources/User`);
    await page.waitForURL(`${admin}/login`);
    expect(await q(`SELECT sid FROM admin_sessions`)).toEqual([]);
  });

  it('works under its Content-Security-Policy: nothing was refused on the way', () => {
    expect(cspViolations).toEqual([]);
  });
});
