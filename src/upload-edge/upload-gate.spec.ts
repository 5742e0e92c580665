import { jest } from '@jest/globals';
import { type UploadSlot, UploadGate } from './upload-gate.js';

const slotOf = (entered: UploadSlot | { refused: unknown }): UploadSlot => {
  if (!('release' in entered)) throw new Error(`expected a slot, got ${JSON.stringify(entered)}`);
  return entered;
};

describe('UploadGate', () => {
  afterEach(() => jest.useRealTimers());

  it('refuses the server beyond its total, and frees slots on release', async () => {
    const gate = new UploadGate(2, 3);
    const a1 = slotOf(await gate.enter('a'));
    const a2 = slotOf(await gate.enter('a'));
    expect(await gate.enter('a')).toEqual({ refused: { scope: 'user', retryAfterSeconds: 5 } }); // no queue
    const b1 = slotOf(await gate.enter('b'));
    expect(await gate.enter('c')).toEqual({ refused: { scope: 'server', retryAfterSeconds: 5 } });
    expect(gate.inProgress()).toBe(3);
    a1.release();
    a1.release(); // twice is once
    expect(gate.inProgress()).toBe(2);
    expect(gate.inProgress('a')).toBe(1);
    slotOf(await gate.enter('c'));
    a2.release();
    b1.release();
    expect(gate.inProgress('a')).toBe(0);
  });

  it('lets a user’s uploads beyond the bound wait, in order, for that user’s next free slot', async () => {
    const gate = new UploadGate(2, 10, { perUser: 3, waitMs: 60_000 });
    const first = [slotOf(await gate.enter('a')), slotOf(await gate.enter('a'))];
    const admitted: number[] = [];
    const waiting = [1, 2, 3].map((n) => gate.enter('a').then((s) => (admitted.push(n), slotOf(s))));
    expect(await gate.enter('a')).toEqual({ refused: { scope: 'user', retryAfterSeconds: 5 } }); // queue full
    expect(gate.waiting('a')).toBe(3);
    slotOf(await gate.enter('b')); // another user is not held up
    first[1].release();
    const one = await waiting[0];
    expect(admitted).toEqual([1]);
    expect(gate.inProgress('a')).toBe(2);
    first[0].release();
    one.release();
    const [two, three] = await Promise.all([waiting[1], waiting[2]]);
    expect(admitted).toEqual([1, 2, 3]);
    two.release();
    three.release();
    expect(gate.inProgress('a')).toBe(0);
    expect(gate.inProgress()).toBe(1);
    expect(gate.waiting()).toBe(0);
  });

  it('refuses a wait past its time, and drops a waiter whose client went away', async () => {
    jest.useFakeTimers();
    const gate = new UploadGate(1, 10, { perUser: 5, waitMs: 1000 });
    const held = slotOf(await gate.enter('a'));
    const late = gate.enter('a');
    jest.advanceTimersByTime(1001);
    expect(await late).toEqual({ refused: { scope: 'user', retryAfterSeconds: 5 } });
    const abort = new AbortController();
    const gone = gate.enter('a', abort.signal);
    expect(gate.waiting('a')).toBe(1);
    abort.abort();
    expect(await gone).toMatchObject({ refused: { scope: 'user' } });
    expect(gate.waiting('a')).toBe(0);
    held.release();
    expect(gate.inProgress()).toBe(0); // nobody was waiting: the slot went back
  });
});
