import { RestartPolicy } from './restart-policy.js';

describe('RestartPolicy', () => {
  it('replaces at once, then later each time, and gives up past the limit within the window', () => {
    let now = 0;
    const policy = new RestartPolicy(3, 60_000, 500, () => now);
    expect(policy.onDeath()).toBe(0);
    now += 1000;
    expect(policy.onDeath()).toBe(500);
    now += 1000;
    expect(policy.onDeath()).toBe(1000);
    now += 1000;
    expect(policy.onDeath()).toBeNull();
  });

  it('forgets deaths older than the window', () => {
    let now = 0;
    const policy = new RestartPolicy(2, 10_000, 500, () => now);
    expect(policy.onDeath()).toBe(0);
    expect(policy.onDeath()).toBe(500);
    now += 10_001;
    expect(policy.onDeath()).toBe(0);
    expect(policy.onDeath()).toBe(500);
    expect(policy.onDeath()).toBeNull();
  });
});
