import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { bootApp, type TestApp } from './support/app.js';
import { ARTIFACTS, launchBrowser, recordCspViolations } from './support/browser.js';
import * as fixtures from './support/images.js';

/** A person in a browser, with nothing but /api/docs: log in, authorize, upload, list. Each test its own browser context. */
describe('Swagger UI in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cspViolations: string[] = [];

  beforeAll(async () => {
    t = await bootApp();
    await t.login('swagger-user', { tier: 'Premium', password: 'swagger-password' });
    browser = await launchBrowser();
  });
  beforeEach(async () => {
    context = await browser.newContext();
    page = await context.newPage();
    cspViolations = recordCspViolations(page);
  });
  afterEach(async () => {
    await context.close();
    // The page worked under its Content-Security-Policy: nothing was refused on the way.
    expect(cspViolations).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Opens an operation, presses "Try it out", lets `fill` set inputs, executes, returns status and body. */
  async function tryItOut(
    id: string,
    fill: (op: Locator) => Promise<void> = async () => undefined,
    screenshot?: string,
  ) {
    const op = page.locator(`#operations-${id}`);
    const tryOut = op.locator('.try-out__btn');
    // A click on the summary expands the operation. One that lands while the page renders again can be lost:
    // click again, but only after the last click had time to show the button (a second click would fold it).
    for (let attempt = 0; !(await tryOut.isVisible()); attempt++) {
      if (attempt === 3) throw new Error(`the operation ${id} does not expand`);
      await op.locator('.opblock-summary').click();
      await tryOut.waitFor({ state: 'visible', timeout: 5000 }).catch(() => undefined);
    }
    if ((await tryOut.innerText()).trim() === 'Try it out') await tryOut.click();
    await fill(op);
    await op.locator('.execute').click();
    const status = op.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor();
    const body = await op.locator('.live-responses-table .microlight').first().innerText();
    const result = {
      status: Number((await status.innerText()).trim()),
      body: JSON.parse(body) as Record<string, unknown>,
    };
    if (screenshot) await op.screenshot({ path: join(ARTIFACTS, screenshot) });
    await op.locator('.btn-clear').click();
    return result;
  }

  async function authorize(accessToken: string) {
    await page.locator('.auth-wrapper .btn.authorize').click();
    await page.locator('.modal-ux input[type="text"]').fill(accessToken);
    await page.locator('.modal-ux .auth-btn-wrapper .btn.authorize').click();
    await page.locator('.modal-ux .btn-done').click();
  }

  it('logs in, authorizes, uploads a PNG through the form and lists it', async () => {
    await page.goto(`${t.baseUrl}/api/docs`);
    await page.locator('#operations-auth-Auth_token').waitFor();

    const login = await tryItOut('auth-Auth_token', (op) =>
      op
        .locator('textarea.body-param__text')
        .fill(JSON.stringify({ username: 'swagger-user', password: 'swagger-password' })),
    );
    expect(login.status).toBe(200);
    const accessToken = login.body.accessToken as string;
    expect(accessToken).toMatch(/^eyJ/);

    await authorize(accessToken);

    const me = await tryItOut('auth-Auth_me');
    expect(me).toMatchObject({ status: 200, body: { username: 'swagger-user', tier: { name: 'Premium' } } });

    const file = join(ARTIFACTS, 'upload-from-swagger.png');
    writeFileSync(file, await fixtures.png(320, 240));
    const upload = await tryItOut(
      'images-Images_upload',
      async (op) => {
        await op.locator('input[type="file"]').setInputFiles(file);
        await op.locator('input[placeholder="title"]').fill('From Swagger UI');
      },
      'swagger-upload.png',
    );
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({ title: 'From Swagger UI', format: 'png', width: 320, height: 240 });
    const links = upload.body.links as { thumbnails: Array<{ height: number; url: string }>; original: string };
    expect(links.thumbnails.map((l) => l.height)).toEqual([200, 400]);
    expect((await fetch(links.original)).status).toBe(200);

    const list = await tryItOut('images-Images_list');
    expect(list.status).toBe(200);
    expect((list.body.items as Array<{ id: string }>).map((i) => i.id)).toEqual([upload.body.id]);
  });

  it('remembers the authorization across a reload', async () => {
    await page.goto(`${t.baseUrl}/api/docs`);
    await page.locator('#operations-auth-Auth_me').waitFor();
    expect((await tryItOut('auth-Auth_me')).status).toBe(401);
    await authorize(await t.login('swagger-user', { tier: 'Premium', password: 'swagger-password' }));
    await page.reload();
    await page.locator('#operations-auth-Auth_me').waitFor();
    // The stored authorization is restored (the page renders again with it) before anything is clicked.
    await page.locator('.auth-wrapper .btn.authorize.locked').waitFor();
    const me = await tryItOut('auth-Auth_me');
    expect(me.status).toBe(200);
  });
});
