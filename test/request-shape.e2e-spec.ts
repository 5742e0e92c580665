import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { bootApp, type TestApp } from './support/app.js';
import * as fixtures from './support/images.js';

/**
 * Every request and response leaves the server with the same own fields in the same order, whichever route
 * answered it (src/common/request-shape.ts: one shape for Node's HTTP code to read). A route that adds a field
 * the shaped classes lack fails here, naming it.
 */
describe('one shape for every request', () => {
  let t: TestApp;
  const seen: Array<{ what: string; req: string[]; res: string[] }> = [];

  beforeAll(async () => {
    t = await bootApp();
    const server = t.app.getHttpServer() as Server;
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      // A body sent with Connection: close (supertest, in t.login) gets its own writeHead (server-limits.ts).
      if (req.headers.connection === 'close') return;
      res.once('close', () =>
        seen.push({ what: `${req.method} ${req.url}`, req: Object.keys(req), res: Object.keys(res) }),
      );
    });
  });
  afterAll(() => t?.close());

  it('keeps one key order across the API, the links, the errors and the docs', async () => {
    const token = await t.login('ann', { tier: 'Enterprise' });
    const auth = { authorization: `Bearer ${token}` };
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await fixtures.jpeg(300, 200))]), 'x.jpg');
    const upload = await fetch(`${t.baseUrl}/api/images`, { method: 'POST', headers: auth, body: form });
    expect(upload.status).toBe(201);
    const image = (await upload.json()) as { id: string; links: { thumbnails: Array<{ url: string }> } };
    const thumbnail = await fetch(image.links.thumbnails[0]!.url);
    expect(thumbnail.status).toBe(200);
    const etag = thumbnail.headers.get('etag')!;
    const answers: Array<[string, RequestInit, number]> = [
      [`/api/images?limit=5`, { headers: auth }, 200],
      [`/api/images/${image.id}`, { headers: auth }, 200],
      [
        `/api/images/${image.id}`,
        { method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' }, body: '{"title":"t"}' },
        200,
      ],
      [
        `/api/images/${image.id}/expiring-links`,
        { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"expiresIn":300}' },
        201,
      ],
      [new URL(image.links.thumbnails[0]!.url).pathname, { headers: { 'if-none-match': etag } }, 304],
      [`/media/${image.id}/forged/200.jpg`, {}, 403],
      [`/api/images`, {}, 401],
      [`/api/nothing-here`, {}, 404],
      [`/api/health`, {}, 200],
      [`/api/docs-json`, {}, 200],
      [`/api/images/${image.id}`, { method: 'DELETE', headers: auth }, 204],
    ];
    for (const [path, init, status] of answers) {
      const res = await fetch(`${t.baseUrl}${path}`, init);
      await res.arrayBuffer();
      expect({ path, status: res.status }).toEqual({ path, status });
    }
    // A response's close event can come after its client has read the body.
    const expected = answers.length + 2; // and the upload, the first thumbnail
    for (let waited = 0; seen.length < expected && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seen.length).toBe(expected);
    for (const side of ['req', 'res'] as const) {
      const first = seen.at(-1)![side];
      const others = seen
        .filter((s) => s[side].join() !== first.join())
        .map((s) => ({
          what: s.what,
          extra: s[side].filter((key) => !first.includes(key)),
          missing: first.filter((key) => !s[side].includes(key)),
          order: s[side].join(),
        }));
      expect(others).toEqual([]);
    }
  });
});
