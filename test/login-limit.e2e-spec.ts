import request from 'supertest';
import { SLOWED_SECONDS_PER_ATTEMPT, USERNAME_FAILURES_PER_15_MINUTES } from '../src/auth/login-limiter.service.js';
import { bootApp, type TestApp } from './support/app.js';

/** The login limit under attack: bursts from one address, and guesses spread over many addresses. */
describe('login limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({ env: { TRUST_PROXY: 'true' } }); // X-Forwarded-For gives each request its address
    await t.login('target', { password: 'right-password' });
  });
  afterAll(() => t.close());

  const attempt = (username: string, password: string, address = '203.0.113.1') =>
    request(t.app.getHttpServer()).post('/api/auth/token').set('x-forwarded-for', address).send({ username, password });

  it('checks exactly 10 passwords when 100 arrive at once from one address; the rest get 429', async () => {
    const statuses = (await Promise.all(Array.from({ length: 100 }, (_, i) => attempt('target', `wrong-${i}`)))).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(90);
    // The right password from that address waits too; from another address it works.
    await attempt('target', 'right-password').expect(429);
    await attempt('target', 'right-password', '203.0.113.2').expect(200);
  });

  it('slows a username guessed from many addresses to one attempt at a time, without locking its owner out', async () => {
    await t.login('spread', { password: 'right-password' });
    for (let batch = 0; batch < USERNAME_FAILURES_PER_15_MINUTES; batch += 25) {
      const addresses = Array.from({ length: 25 }, (_, i) => `198.51.100.${batch + i}`);
      const answers = await Promise.all(addresses.map((address) => attempt('spread', 'wrong', address)));
      expect(answers.map((r) => r.status)).toEqual(addresses.map(() => 401));
    }
    // Over the ceiling: one attempt per SLOWED_SECONDS_PER_ATTEMPT, whichever address it comes from.
    await attempt('spread', 'wrong', '192.0.2.1').expect(401);
    const slowed = await attempt('spread', 'right-password', '192.0.2.2').expect(429);
    const retryAfter = Number(slowed.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(SLOWED_SECONDS_PER_ATTEMPT);
    expect(slowed.body.message).toMatch(/one attempt every/);
    // Not a lock-out: once the slot is free, the owner gets in.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 200));
    await attempt('spread', 'right-password', '192.0.2.3').expect(200);
  });
});
