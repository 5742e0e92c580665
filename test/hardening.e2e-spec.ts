import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RefreshTokensService, USED_KEPT_PER_FAMILY } from '../src/auth/refresh-tokens.service.js';
import { bootApp, TEST_JWT_SECRET, type TestApp } from './support/app.js';
import * as fixtures from './support/images.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A correctly signed HS256 token with whatever claims the test wants. */
function sign(payload: object, secret = TEST_JWT_SECRET): string {
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const errorShape = (statusCode: number) => ({ statusCode, error: expect.any(String), message: expect.any(String) });

describe('hardening: hostile input gets a 4xx, never a 500', () => {
  let t: TestApp;
  let token: string;
  let userId: string;
  let imageId: string;
  let image: Buffer;

  beforeAll(async () => {
    t = await bootApp();
    image = await fixtures.png(20, 10);
    token = await t.login('hardy', { tier: 'Premium', password: 'secret12' });
    userId = (await t.http().get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200)).body.id;
    const res = await t
      .http()
      .post('/api/images')
      .auth(token, { type: 'bearer' })
      .attach('file', await fixtures.png(20, 10), 'a.png')
      .expect(201);
    imageId = res.body.id;
  });
  afterAll(() => t.close());

  const upload = (fields: Record<string, string>) => () => {
    const req = t.http().post('/api/images').auth(token, { type: 'bearer' });
    for (const [k, v] of Object.entries(fields)) void req.field(k, v);
    return req.attach('file', image, 'a.png');
  };

  it.each([
    ['NUL in an uploaded title', upload({ title: 'a\u0000b' }), /title must not contain control characters/],
    ['NUL in an uploaded description', upload({ description: 'a\u0000b' }), /description must not contain/],
    ['an escape character in a title', upload({ title: 'a\u001b[2Jb' }), /title must not contain/],
    ['a line break in a title', upload({ title: 'a\nb' }), /title must not contain/],
  ])('%s: 400', async (_name, send, message) => {
    const before = (await t.dataSource.query(`SELECT count(*)::int AS n FROM images`))[0].n;
    const res = await send().expect(400);
    expect(res.body).toEqual({ ...errorShape(400), message: expect.stringMatching(message) });
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM images`))[0].n).toBe(before);
  });

  it('keeps tabs and line breaks in a description', async () => {
    const res = await upload({ description: 'line 1\r\nline 2\n\tindented' })().expect(201);
    expect(res.body.description).toBe('line 1\r\nline 2\n\tindented');
  });

  it.each([
    ['NUL in a title', { title: 'x\u0000' }],
    ['NUL in a description', { description: 'x\u0000y' }],
    ['a DEL in a description', { description: 'x\u007fy' }],
  ])('PATCH with %s: 400, nothing changed', async (_name, body) => {
    const res = await t.http().patch(`/api/images/${imageId}`).auth(token, { type: 'bearer' }).send(body).expect(400);
    expect(res.body).toEqual(errorShape(400));
    const image = await t.http().get(`/api/images/${imageId}`).auth(token, { type: 'bearer' }).expect(200);
    expect(image.body.title).toBeNull();
  });

  it.each([['null'], ['"a-secret"'], ['{"username": secret'], ['123']])(
    'a JSON body %s that does not parse (or is no object): 400 with a fixed message, nothing of it repeated',
    async (body) => {
      for (const path of ['/api/auth/token', '/admin/login']) {
        const res = await t.http().post(path).set('content-type', 'application/json').send(body);
        expect([path, res.status]).toEqual([path, 400]);
        expect(JSON.stringify(res.body)).not.toMatch(/secret|null|123/);
        expect(res.body.message).toMatch(/^The request body is not (valid JSON|a valid JSON object)$/);
      }
    },
  );

  it('NUL in a login username: 400', async () => {
    const res = await t.http().post('/api/auth/token').send({ username: 'hardy\u0000', password: 'secret12' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ ...errorShape(400), message: 'username must not contain control characters' });
  });

  it.each([
    ['year -271821', cursorOf(['-271821-04-20T00:00:00.000Z', randomUUID()])],
    ['year +275760', cursorOf(['+275760-09-13T00:00:00.000Z', randomUUID()])],
    ['February 30th', cursorOf(['2026-02-30T00:00:00.000Z', randomUUID()])],
    ['an id that is no UUID', cursorOf(['2026-02-01T00:00:00.000Z', 'zz'])],
    ['garbage', 'not-a-cursor'],
  ])('a cursor with %s: 400', async (_name, cursor) => {
    const res = await t.http().get('/api/images').query({ cursor }).auth(token, { type: 'bearer' }).expect(400);
    expect(res.body).toEqual({ ...errorShape(400), message: expect.stringMatching(/cursor is malformed/) });
  });

  describe('tokens', () => {
    const exp = () => Math.floor(Date.now() / 1000) + 600;

    it('a correctly signed access token whose subject is not a UUID: 401', async () => {
      for (const sub of ['not-a-uuid', "'; select 1; --", `${userId}x`]) {
        const res = await t
          .http()
          .get('/api/auth/me')
          .auth(sign({ sub, typ: 'access', exp: exp() }), { type: 'bearer' });
        expect(res.status).toBe(401);
        expect(res.body).toEqual(errorShape(401));
      }
    });

    it('a correctly signed access token without exp: 401 (with exp it is taken)', async () => {
      await t
        .http()
        .get('/api/auth/me')
        .auth(sign({ sub: userId, typ: 'access', exp: exp() }), { type: 'bearer' })
        .expect(200);
      const res = await t
        .http()
        .get('/api/auth/me')
        .auth(sign({ sub: userId, typ: 'access' }), { type: 'bearer' })
        .expect(401);
      expect(res.body).toEqual(errorShape(401));
    });

    it('a correctly signed refresh token without exp, or never issued: 401', async () => {
      for (const claims of [
        { sub: userId, typ: 'refresh', jti: randomUUID() },
        { sub: userId, typ: 'refresh', jti: randomUUID(), exp: exp() },
        { sub: userId, typ: 'refresh', exp: exp() },
      ]) {
        await t
          .http()
          .post('/api/auth/refresh')
          .send({ refreshToken: sign(claims) })
          .expect(401);
      }
    });

    it('token and refresh responses are never stored by a cache', async () => {
      const login = await t
        .http()
        .post('/api/auth/token')
        .send({ username: 'hardy', password: 'secret12' })
        .expect(200);
      expect(login.headers['cache-control']).toBe('no-store');
      const refreshed = await t
        .http()
        .post('/api/auth/refresh')
        .send({ refreshToken: login.body.refreshToken })
        .expect(200);
      expect(refreshed.headers['cache-control']).toBe('no-store');
    });

    it('a refresh token works once; a reused one is refused and revokes its whole login', async () => {
      const first = (await t.http().post('/api/auth/token').send({ username: 'hardy', password: 'secret12' })).body as {
        accessToken: string;
        refreshToken: string;
      };
      const other = (await t.http().post('/api/auth/token').send({ username: 'hardy', password: 'secret12' })).body as {
        refreshToken: string;
      };
      const second = (await t.http().post('/api/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200))
        .body as { refreshToken: string; accessToken: string };
      expect(second.refreshToken).not.toBe(first.refreshToken);

      const reused = await t.http().post('/api/auth/refresh').send({ refreshToken: first.refreshToken }).expect(401);
      expect(reused.body.message).toMatch(/already used/);
      // The thief's (or the owner's) next token of that login is dead too ...
      await t.http().post('/api/auth/refresh').send({ refreshToken: second.refreshToken }).expect(401);
      // ... another login is not, and access tokens run out on their own (15 minutes).
      await t.http().post('/api/auth/refresh').send({ refreshToken: other.refreshToken }).expect(200);
      await t.http().get('/api/auth/me').auth(second.accessToken, { type: 'bearer' }).expect(200);
    });

    it('of two concurrent exchanges of one refresh token exactly one succeeds', async () => {
      const { refreshToken } = (
        await t.http().post('/api/auth/token').send({ username: 'hardy', password: 'secret12' })
      ).body as { refreshToken: string };
      const results = await Promise.all(
        Array.from({ length: 5 }, () => t.http().post('/api/auth/refresh').send({ refreshToken })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401]);
    });

    it('a reuse race leaves no working token: the winner of two parallel refreshes is revoked with its family (0 of 20)', async () => {
      let survivors = 0;
      for (let trial = 0; trial < 20; trial++) {
        const { refreshToken } = (
          await t.http().post('/api/auth/token').send({ username: 'hardy', password: 'secret12' })
        ).body as { refreshToken: string };
        const [a, b] = await Promise.all([0, 1].map(() => t.http().post('/api/auth/refresh').send({ refreshToken })));
        expect([a.status, b.status].sort()).toEqual([200, 401]);
        const winner = (a.status === 200 ? a : b).body as { refreshToken: string };
        const after = await t.http().post('/api/auth/refresh').send({ refreshToken: winner.refreshToken });
        if (after.status === 200) survivors++;
      }
      expect(survivors).toBe(0);
    });

    it('keeps a few used refresh tokens per login, not one row per refresh; prunes dead rows', async () => {
      let { refreshToken } = (await t.http().post('/api/auth/token').send({ username: 'hardy', password: 'secret12' }))
        .body as { refreshToken: string };
      const first = refreshToken;
      for (let i = 0; i < 12; i++) {
        refreshToken = (
          (await t.http().post('/api/auth/refresh').send({ refreshToken }).expect(200)).body as {
            refreshToken: string;
          }
        ).refreshToken;
      }
      const jti = (token: string) =>
        (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { jti: string }).jti;
      const [{ familyId }] = (await t.dataSource.query(`SELECT "familyId" FROM refresh_tokens WHERE id = $1`, [
        jti(refreshToken),
      ])) as Array<{ familyId: string }>;
      const rows = (await t.dataSource.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE "familyId" = $1`, [
        familyId,
      ])) as Array<{ n: number }>;
      expect(rows[0].n).toBe(USED_KEPT_PER_FAMILY + 1);
      // The first token's row is gone: presenting it is simply invalid (its JWT still verifies).
      await t.http().post('/api/auth/refresh').send({ refreshToken: first }).expect(401);
      // A revoked family over a day old and expired rows are pruned.
      await t.dataSource.query(
        `UPDATE refresh_tokens SET "revokedAt" = now() - interval '2 days' WHERE "familyId" = $1`,
        [familyId],
      );
      expect(await t.app.get(RefreshTokensService).prune()).toBeGreaterThanOrEqual(USED_KEPT_PER_FAMILY + 1);
      expect(await t.dataSource.query(`SELECT id FROM refresh_tokens WHERE "familyId" = $1`, [familyId])).toEqual([]);
    });

    it('refresh tokens stay valid across an update of the user (the contract)', async () => {
      const { refreshToken } = (
        await t.http().post('/api/auth/token').send({ username: 'hardy', password: 'secret12' })
      ).body as { refreshToken: string };
      await t.login('hardy', { tier: 'Enterprise', password: 'another-password' });
      const res = await t.http().post('/api/auth/refresh').send({ refreshToken }).expect(200);
      const me = await t.http().get('/api/auth/me').auth(res.body.accessToken, { type: 'bearer' }).expect(200);
      expect(me.body.tier.name).toBe('Enterprise');
      await t.login('hardy', { tier: 'Premium', password: 'secret12' });
    });
  });

  describe('health shows anonymous callers up or down, no detail', () => {
    it('storage down: 503 with only statuses', async () => {
      const incoming = join(t.config.dataDir, 'files', '.incoming');
      rmSync(incoming, { recursive: true, force: true });
      mkdirSync(dirname(incoming), { recursive: true });
      writeFileSync(incoming, 'not a directory');
      try {
        const res = await t.http().get('/api/health').expect(503);
        expect(res.body).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          message: expect.any(String),
          status: 'error',
          info: { database: { status: 'up' } },
          details: { database: { status: 'up' }, storage: { status: 'down' } },
        });
      } finally {
        rmSync(incoming, { force: true });
      }
    });

    it('database unreachable: 503 naming no host, port or error text', async () => {
      const name = t.db.name;
      await t.dataSource.query(`SELECT 1`);
      const admin = new (await import('pg')).default.Client({ connectionString: process.env.TEST_SERVER_URL });
      await admin.connect();
      try {
        await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS false`);
        // With a timeout it returns once the backends are gone; without, it only signals them, and a backend slow
        // to act on the signal would fail the pool's next query after connections are allowed again.
        await admin.query(`SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = $1`, [name]);
        const res = await t.http().get('/api/health').expect(503);
        expect(res.body.details).toEqual({ database: { status: 'down' }, storage: { status: 'up' } });
        expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|localhost|port|accepting|ECONN|connect/i);
      } finally {
        await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS true`);
        await admin.end();
      }
      await t.http().get('/api/health').expect(200);
    });
  });
});
