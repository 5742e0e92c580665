import { createHmac } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bootApp, TEST_JWT_SECRET, type TestApp } from './support/app.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function forge(header: object, payload: object, secret?: string): string {
  const unsigned = `${b64(header)}.${b64(payload)}`;
  const signature = secret ? createHmac('sha256', secret).update(unsigned).digest('base64url') : '';
  return `${unsigned}.${signature}`;
}

describe('auth', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp();
    await t.login('alice', { tier: 'Premium', password: 'secret12' });
  });
  afterAll(() => t.close());

  const token = (username: string, password: string) => t.http().post('/api/auth/token').send({ username, password });

  it('issues a token pair that /me accepts, showing the tier and its heights', async () => {
    const res = await token('alice', 'secret12').expect(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    const me = await t.http().get('/api/auth/me').auth(res.body.accessToken, { type: 'bearer' }).expect(200);
    expect(me.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: 'alice',
      isAdmin: false,
      tier: {
        id: expect.any(Number),
        name: 'Premium',
        thumbnailHeights: [200, 400],
        originalLink: true,
        expiringLinks: false,
        maxUploadBytes: null,
        storageQuotaBytes: null,
        uploadsPerDay: null,
      },
      usage: { images: 0, storedBytes: 0, uploadsToday: 0 },
    });
  });

  it('answers a wrong password and an unknown user with the same 401', async () => {
    const wrong = await token('alice', 'not-the-password').expect(401);
    const unknown = await token('nobody-here', 'whatever1').expect(401);
    expect(wrong.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Wrong username or password' });
    expect(unknown.body).toEqual(wrong.body);
  });

  it('refreshes with a refresh token, and never takes one token type for the other', async () => {
    const pair = (await token('alice', 'secret12').expect(200)).body;
    const refreshed = await t.http().post('/api/auth/refresh').send({ refreshToken: pair.refreshToken }).expect(200);
    expect(refreshed.body.tokenType).toBe('Bearer');
    await t.http().get('/api/auth/me').auth(refreshed.body.accessToken, { type: 'bearer' }).expect(200);
    // a refresh token is not an access token, and the other way round
    await t.http().get('/api/auth/me').auth(pair.refreshToken, { type: 'bearer' }).expect(401);
    await t.http().post('/api/auth/refresh').send({ refreshToken: pair.accessToken }).expect(401);
  });

  it('refuses expired, tampered, alg-none and foreign-key tokens with 401', async () => {
    const pair = (await token('alice', 'secret12').expect(200)).body;
    const [header, payload, signature] = pair.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const me = (bearer: string) => t.http().get('/api/auth/me').auth(bearer, { type: 'bearer' });

    await me(`${header}.${b64({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${signature}`).expect(401);
    await me(forge({ alg: 'none', typ: 'JWT' }, claims)).expect(401);
    await me(forge({ alg: 'HS256', typ: 'JWT' }, claims, 'some-other-secret-of-sufficient-length')).expect(401);
    await me(
      forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, TEST_JWT_SECRET),
    ).expect(401);
    // a correctly signed token for a user that does not exist
    await me(
      forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: '00000000-0000-4000-8000-000000000000' }, TEST_JWT_SECRET),
    ).expect(401);
    await me('not-a-jwt').expect(401);
    await t.http().get('/api/auth/me').set('authorization', `Basic ${pair.accessToken}`).expect(401);
    await t
      .http()
      .post('/api/auth/refresh')
      .send({ refreshToken: forge({ alg: 'none' }, { ...claims, typ: 'refresh' }) })
      .expect(401);
  });

  it('validates the body: 400 naming the field', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{}, /username/],
      [{ username: 'alice' }, /password/],
      [{ username: 42, password: 'x' }, /username must be a string/],
      [{ username: 'a'.repeat(101), password: 'x' }, /username must be shorter than or equal to 100/],
      [{ username: 'alice', password: 'secret12', extra: true }, /property extra should not exist/],
    ];
    for (const [body, message] of cases) {
      const res = await t
        .http()
        .post('/api/auth/token')
        .send(body as object)
        .expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(message) });
    }
    const malformed = await t
      .http()
      .post('/api/auth/token')
      .set('content-type', 'application/json')
      .send('{"username":')
      .expect(400);
    expect(malformed.body.message).toMatch(/JSON/);
    await t.http().post('/api/auth/refresh').send({ refreshToken: 'abc' }).expect(400);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await t.http().get('/api/nothing-here').expect(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'Not Found', message: expect.any(String) });
  });

  it('allows 10 failed logins a minute per username and address, then 429; other usernames are unaffected', async () => {
    await t.login('mallory-target', { password: 'right-password' });
    for (let i = 0; i < 10; i++) await token('mallory-target', `wrong-${i}`).expect(401);
    const limited = await token('mallory-target', 'right-password').expect(429);
    expect(limited.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/try again in \d+ s/),
      retryAfter: expect.any(Number),
    });
    expect(Number(limited.headers['retry-after'])).toBe(limited.body.retryAfter);
    await token('alice', 'secret12').expect(200);
  });

  it('clears the failure count on a successful login', async () => {
    await t.login('bob', { password: 'bob-password' });
    for (let i = 0; i < 9; i++) await token('bob', 'wrong').expect(401);
    await token('bob', 'bob-password').expect(200);
    for (let i = 0; i < 9; i++) await token('bob', 'wrong').expect(401);
    await token('bob', 'bob-password').expect(200);
  });

  it('serves /api/health without a token', async () => {
    const res = await t.http().get('/api/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, storage: { status: 'up' } } });
  });

  it('answers /api/health with 503 naming the dependency that is down', async () => {
    const incoming = join(t.config.dataDir, 'files', '.incoming');
    rmSync(incoming, { recursive: true, force: true });
    mkdirSync(dirname(incoming), { recursive: true });
    writeFileSync(incoming, 'not a directory'); // storage can no longer stage writes
    try {
      const res = await t.http().get('/api/health').expect(503);
      expect(res.body).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'A dependency is down; see details',
        status: 'error',
        info: { database: { status: 'up' } },
      });
      // Up or down only: the reason goes to the log (test/hardening.e2e-spec.ts).
      expect(res.body.details.storage).toEqual({ status: 'down' });
    } finally {
      rmSync(incoming, { force: true });
    }
    await t.http().get('/api/health').expect(200);
  });
});
