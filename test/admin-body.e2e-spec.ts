import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootApp, type TestApp } from './support/app.js';
import * as fixtures from './support/images.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * Sends `total` bytes of `fill` to the server, streamed (chunked unless `declare`), without holding the body
 * in memory; resolves with the answer (or its absence if the server cut the connection after answering).
 */
function stream(
  t: TestApp,
  path: string,
  {
    total,
    contentType,
    declare,
    headers = {},
  }: { total: number; contentType: string; declare: boolean; headers?: Record<string, string> },
): Promise<Answer> {
  const url = new URL(t.baseUrl);
  const chunk = Buffer.alloc(64 * 1024, 'a');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path,
      method: 'POST',
      agent: false,
      headers: { 'content-type': contentType, ...(declare ? { 'content-length': String(total) } : {}), ...headers },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

/** Issue 16, items 1 and 2: the AdminJS router is fed bounded, in-memory bodies only. */
describe('admin panel bodies (before and after login)', () => {
  let t: TestApp;
  let tempDir: string;
  const savedTmp = process.env.TMPDIR;
  const uploads = () => readdirSync(tempDir).filter((f) => f.startsWith('upload_'));

  beforeAll(async () => {
    t = await bootApp();
    await t.login('root', { isAdmin: true, password: 'admin-password-1' });
    // formidable (what AdminJS would use) writes to os.tmpdir(), read per request: watch a folder of our own.
    tempDir = mkdtempSync(join(tmpdir(), 'admin-body-tmp-'));
    process.env.TMPDIR = tempDir;
  });
  afterAll(async () => {
    process.env.TMPDIR = savedTmp;
    rmSync(tempDir, { recursive: true, force: true });
    await t?.close();
  });

  async function adminCookie(): Promise<string> {
    const res = await fetch(`${t.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=root&password=admin-password-1',
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/admin');
    return res.headers.getSetCookie()[0].split(';')[0];
  }

  it('refuses a 64 MiB login body, declared or chunked, with 413 before buffering it; RSS stays flat', async () => {
    // The panel is loaded on its first request (tens of MB once): load it before measuring.
    expect((await fetch(`${t.baseUrl}/admin/login`)).status).toBe(200);
    const before = process.memoryUsage().rss;
    for (const declare of [true, false]) {
      for (const contentType of ['application/x-www-form-urlencoded', 'application/json']) {
        const res = await stream(t, '/admin/login', { total: 64 * 1024 * 1024, contentType, declare });
        expect([declare, contentType, res.status]).toEqual([declare, contentType, 413]);
        expect(JSON.parse(res.body)).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      }
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);
    // The process is up and the panel works.
    expect((await fetch(`${t.baseUrl}/admin/login`)).status).toBe(200);
  });

  it('refuses a large body after login too (record edits get 256 KiB)', async () => {
    const cookie = await adminCookie();
    const res = await stream(t, '/admin/api/resources/Size/actions/new', {
      total: 2 * 1024 * 1024,
      contentType: 'application/x-www-form-urlencoded',
      declare: false,
      headers: { cookie },
    });
    expect(res.status).toBe(413);
  });

  it('writes no file for 500 multipart parts before login, and none for a file part after login', async () => {
    const boundary = 'b0undary';
    const partList = Array.from(
      { length: 500 },
      (_, i) =>
        `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"; filename="x${i}.bin"\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n\r\n`,
    );
    const body = `${partList.join('')}--${boundary}--\r\n`;
    const send = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${t.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...headers },
        body,
        redirect: 'manual',
      });
    const anonymous = await send('/admin/login');
    expect(anonymous.status).toBe(413); // over the 8 KiB a login form needs
    const fewParts = `${partList.slice(0, 50).join('')}--${boundary}--\r\n`; // 50 parts, under 8 KiB
    const anonymousFiles = await fetch(`${t.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: fewParts,
    });
    expect(anonymousFiles.status).toBe(415);
    expect(uploads()).toEqual([]);
    const cookie = await adminCookie();
    const small =
      `--${boundary}\r\nContent-Disposition: form-data; name="height"\r\n\r\n555\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\nxyz\r\n--${boundary}--\r\n`;
    const withFile = await fetch(`${t.baseUrl}/admin/api/resources/Size/actions/new`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie },
      body: small,
    });
    expect(withFile.status).toBe(415);
    expect(await t.dataSource.query(`SELECT id FROM sizes WHERE height = 555`)).toEqual([]);
    expect(uploads()).toEqual([]);
    // A plain multipart form (what the panel sends) still saves.
    const form = new FormData();
    form.set('height', '556');
    const ok = await fetch(`${t.baseUrl}/admin/api/resources/Size/actions/new`, {
      method: 'POST',
      headers: { cookie },
      body: form,
    });
    expect(ok.status).toBe(200);
    expect(await t.dataSource.query(`SELECT height FROM sizes WHERE height = 556`)).toEqual([{ height: 556 }]);
    expect(uploads()).toEqual([]);
  });

  it('answers a broken JSON body with a fixed message that repeats nothing of it', async () => {
    const cookie = await adminCookie();
    const res = await fetch(`${t.baseUrl}/admin/api/resources/Size/actions/new`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: 'nullx-secret-token',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toMatch(/secret|nullx/);
  });

  describe('GETs that change state (issue 16, item 8)', () => {
    const list = (cookie: string) =>
      fetch(`${t.baseUrl}/admin/api/resources/User/actions/list`, { headers: { cookie }, redirect: 'manual' });

    it('logs out on a GET only when the browser says it is same-origin; else asks for a POST', async () => {
      const cookie = await adminCookie();
      const foreign: Array<Record<string, string>> = [
        {}, // an older browser following a link from another site: no Sec-Fetch-Site, no Origin
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
        { origin: 'http://evil.example' },
      ];
      for (const headers of foreign) {
        const res = await fetch(`${t.baseUrl}/admin/logout`, { headers: { cookie, ...headers }, redirect: 'manual' });
        expect(res.status).toBe(200);
        expect(await res.text()).toMatch(/<form method="post" action="\/admin\/logout">/);
        expect((await list(cookie)).status).toBe(200); // still logged in
      }
      const crossPost = await fetch(`${t.baseUrl}/admin/logout`, {
        method: 'POST',
        headers: { cookie, 'sec-fetch-site': 'cross-site' },
        redirect: 'manual',
      });
      expect(crossPost.status).toBe(403);
      expect((await list(cookie)).status).toBe(200);
      // The confirmation page's own POST (same origin) logs out.
      const post = await fetch(`${t.baseUrl}/admin/logout`, {
        method: 'POST',
        headers: { cookie, origin: new URL(t.baseUrl).origin },
        redirect: 'manual',
      });
      expect([post.status, post.headers.get('location')]).toEqual([302, '/admin/login']);
      expect((await list(cookie)).status).toBe(302);
      // And so does a GET the browser marks same-origin.
      const again = await adminCookie();
      const get = await fetch(`${t.baseUrl}/admin/logout`, {
        headers: { cookie: again, 'sec-fetch-site': 'same-origin' },
        redirect: 'manual',
      });
      expect(get.status).toBe(302);
      expect((await list(again)).status).toBe(302);
    });

    it('revokes a link on a GET only from the panel itself', async () => {
      const token = await t.login('lena', { tier: 'Enterprise', password: 'lena-password-1' });
      const image = await t
        .http()
        .post('/api/images')
        .auth(token, { type: 'bearer' })
        .attach('file', await fixtures.png(40, 30), 'x.png')
        .expect(201);
      const link = await t
        .http()
        .post(`/api/images/${image.body.id}/expiring-links`)
        .auth(token, { type: 'bearer' })
        .send({ expiresIn: 600 })
        .expect(201);
      const cookie = await adminCookie();
      const revoke = (headers: Record<string, string>) =>
        fetch(`${t.baseUrl}/admin/api/resources/ExpiringLink/records/${link.body.id}/revoke`, {
          headers: { cookie, ...headers },
          redirect: 'manual',
        });
      const revokedAt = async () =>
        (
          (await t.dataSource.query(`SELECT "revokedAt" FROM expiring_links WHERE id = $1`, [link.body.id])) as Array<{
            revokedAt: Date | null;
          }>
        )[0].revokedAt;
      const forged: Array<Record<string, string>> = [
        {},
        { origin: 'http://evil.example' },
        { 'sec-fetch-site': 'cross-site' },
      ];
      for (const headers of forged) {
        expect((await revoke(headers)).status).toBe(403);
      }
      expect(await revokedAt()).toBeNull();
      expect((await revoke({ origin: new URL(t.baseUrl).origin })).status).toBe(200);
      expect(await revokedAt()).toBeInstanceOf(Date);
    });
  });
});
