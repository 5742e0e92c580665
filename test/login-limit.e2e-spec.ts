import request from 'supertest';
import { SLOWED_SECONDS_PER_ATTEMPT, USERNAME_FAILURES_PER_15_MINUTES } from '../src/auth/login-limiter.service.js';
import { postFrom } from './support/from-address.js';
import { bootApp, type TestApp } from './support/app.js';

/** The login limit under attack: bursts from one address, and guesses spread over many addresses. */
describe('login limit', () => {
  let t: TestApp;

  beforeAll(async () => {
    // One trusted hop: the test plays the load balancer, whose X-Forwarded-For entry gives each request its address.
    t = await bootApp({ env: { TRUST_PROXY: '1' } });
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

  /** Fails the username USERNAME_FAILURES_PER_15_MINUTES times from as many addresses: it is now slowed. */
  async function exhaust(username: string, prefix: string) {
    for (let batch = 0; batch < USERNAME_FAILURES_PER_15_MINUTES; batch += 25) {
      const addresses = Array.from({ length: 25 }, (_, i) => `${prefix}.${batch + i}`);
      await Promise.all(addresses.map((address) => attempt(username, 'wrong', address)));
    }
  }

  it('keeps no owner out while the username is under attack: their known address skips the shared slot', async () => {
    await t.login('owner', { password: 'right-password' });
    // The owner logged in before from their own machine (a real client address, no proxy header).
    const own = { localAddress: '127.0.0.7' };
    const login = (body: object) => postFrom(t.baseUrl, '/api/auth/token', body, own);
    expect((await login({ username: 'owner', password: 'right-password' })).status).toBe(200);
    await exhaust('owner', '198.51.101');
    // The attacker keeps one wrong attempt every 0.3 s, rotating over 30 addresses, holding the shared slot.
    let stop = false;
    let answered = 0;
    const attacker = (async () => {
      for (let i = 0; !stop; i++) {
        await attempt('owner', 'wrong', `203.0.114.${i % 30}`);
        answered++;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    try {
      // Once the attacker's first attempt is answered, it holds the shared slot for its 10 s.
      while (answered === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      // A new address waits for the shared slot; the owner's known address does not.
      await attempt('owner', 'right-password', '192.0.2.99').expect(429);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push((await login({ username: 'owner', password: 'right-password' })).status);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      // The known address still gets only its own 10 wrong passwords a minute.
      const wrong = await Promise.all(
        Array.from({ length: 12 }, () => login({ username: 'owner', password: 'wrong' }).then((r) => r.status)),
      );
      expect(wrong.filter((s) => s === 429)).toHaveLength(2);
    } finally {
      stop = true;
      await attacker;
    }
  });

  it('takes one trusted hop only: a client rotating X-Forwarded-For stays one address', async () => {
    await t.login('rotated', { password: 'right-password' });
    const statuses = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        request(t.app.getHttpServer())
          .post('/api/auth/token')
          .set('x-forwarded-for', `10.9.${i}.1, 203.0.113.77`) // only the last entry is the proxy's word
          .send({ username: 'rotated', password: 'wrong' })
          .then((r) => r.status),
      ),
    );
    expect([statuses.filter((s) => s === 401).length, statuses.filter((s) => s === 429).length]).toEqual([10, 5]);
  });

  it('answers long or odd forwarded addresses with 401, never a 500', async () => {
    const odd = ['x'.repeat(2000), '1.2.3.4%eth0', 'unknown', '[::1]:80', `${'a'.repeat(300)}, ${'b'.repeat(300)}`];
    for (const address of odd) {
      const res = await attempt('target-odd', 'wrong', address);
      expect([address.slice(0, 20), res.status]).toEqual([address.slice(0, 20), 401]);
    }
  });
});
