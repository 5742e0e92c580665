import type { DatabaseNotifications } from './database-notifications.service.js';
import { NotifiedCache } from './notified-cache.js';

/** What NotifiedCache uses of DatabaseNotifications: `live`, and the handlers it registers. */
function notifications() {
  const handlers = new Map<string, Array<(payload: string) => void>>();
  const resets: Array<(phase: 'lost' | 'back') => void> = [];
  const fake = {
    live: true,
    on: (channel: string, handler: (payload: string) => void) =>
      handlers.set(channel, [...(handlers.get(channel) ?? []), handler]),
    onReset: (handler: (phase: 'lost' | 'back') => void) => resets.push(handler),
    notify: (channel: string, payload: string) => handlers.get(channel)?.forEach((handler) => handler(payload)),
    reset: (phase: 'lost' | 'back') => resets.forEach((handler) => handler(phase)),
  };
  return fake;
}

describe('NotifiedCache.peek', () => {
  it('gives a value only once its load has resolved, while notifications are live, until it is dropped', async () => {
    const events = notifications();
    let loads = 0;
    const cache = new NotifiedCache<string>(
      events as unknown as DatabaseNotifications,
      async (key) => `${key}#${++loads}`,
      { max: 10, follows: { channel: 'images_deleted', drops: 'key' } },
    );
    expect(cache.peek('a')).toBeUndefined(); // never loaded
    const loading = cache.get('a');
    expect(cache.peek('a')).toBeUndefined(); // loading: only get() waits for it
    expect(await loading).toBe('a#1');
    expect(cache.peek('a')).toEqual(expect.objectContaining({ value: 'a#1' }));

    events.live = false; // notifications lost: nothing cached may be served
    expect(cache.peek('a')).toBeUndefined();
    events.live = true;
    expect(cache.peek('a')?.value).toBe('a#1');

    events.notify('images_deleted', 'a');
    expect(cache.peek('a')).toBeUndefined();
    expect(await cache.get('a')).toBe('a#2');
    expect(cache.peek('a')?.value).toBe('a#2');
    events.reset('back');
    expect(cache.peek('a')).toBeUndefined();
  });

  it('never gives a value its cache does not keep, nor a failed load', async () => {
    const events = notifications();
    const cache = new NotifiedCache<string | null>(
      events as unknown as DatabaseNotifications,
      async (key) => {
        if (key === 'broken') throw new Error('no');
        return key === 'missing' ? null : key;
      },
      { max: 10, keeps: (value) => value !== null },
    );
    expect(await cache.get('missing')).toBeNull();
    expect(cache.peek('missing')).toBeUndefined();
    await expect(cache.get('broken')).rejects.toThrow('no');
    expect(cache.peek('broken')).toBeUndefined();
  });
});

describe('NotifiedCache budget', () => {
  it('keeps the values within their byte budget once their sizes are known, dropping the least recently used', async () => {
    const events = notifications();
    let loads = 0;
    const cache = new NotifiedCache<string>(
      events as unknown as DatabaseNotifications,
      async (key) => {
        loads++;
        return key.repeat(40); // 40 bytes per character of the key
      },
      { max: 100, budget: { bytes: 200, size: (value) => value.length } },
    );
    await cache.get('a'); // 40
    await cache.get('bb'); // 80
    expect(cache.peek('a')?.value).toBe('a'.repeat(40)); // a is now the most recently used
    await cache.get('ccc'); // 120: 240 in all, over 200, so the least recently used (bb) goes
    expect(cache.peek('bb')).toBeUndefined();
    expect(cache.peek('a')).toBeDefined();
    expect(cache.peek('ccc')).toBeDefined();
    expect(loads).toBe(3);
    await cache.get('ccc');
    expect(loads).toBe(3);
    await cache.get('x'.repeat(6)); // 240 alone: over the whole budget, never kept, nothing else kept either
    expect(cache.peek('x'.repeat(6))).toBeUndefined();
  });
});
