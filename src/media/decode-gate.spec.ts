import { DecodeGate, DecodeQueueFullError } from './decode-gate.js';

/** A piece of work that runs until released, recording what ran alongside it. */
function held() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { release, work: () => done };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DecodeGate', () => {
  it('runs at most `slots` pieces of work at once, the rest in arrival order', async () => {
    const gate = new DecodeGate(2, 1000);
    const started: number[] = [];
    const pieces = Array.from({ length: 5 }, () => held());
    const runs = pieces.map((p, i) =>
      gate.run(1, () => {
        started.push(i);
        return p.work();
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(gate.waiting).toBe(3);
    pieces[1].release();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const p of pieces) p.release();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(gate.active).toEqual({ count: 0, bytes: 0 });
  });

  it('holds the bytes each piece declares: two heavy ones never run together, a light one waits its turn', async () => {
    const gate = new DecodeGate(4, 100);
    const heavy1 = held();
    const heavy2 = held();
    const light = held();
    const order: string[] = [];
    const runs = [
      gate.run(60, () => (order.push('heavy1'), heavy1.work())),
      gate.run(60, () => (order.push('heavy2'), heavy2.work())),
      gate.run(10, () => (order.push('light'), light.work())),
    ];
    await tick();
    // The light one would fit beside heavy1, but heavy2 is ahead of it: first come, first served.
    expect(order).toEqual(['heavy1']);
    expect(gate.active).toEqual({ count: 1, bytes: 60 });
    heavy1.release();
    await tick();
    expect(order).toEqual(['heavy1', 'heavy2', 'light']);
    expect(gate.active).toEqual({ count: 2, bytes: 70 });
    heavy2.release();
    light.release();
    await Promise.all(runs);
  });

  it('lets a piece heavier than the whole capacity run, alone', async () => {
    const gate = new DecodeGate(3, 100);
    const big = held();
    const small = held();
    const order: string[] = [];
    const runs = [
      gate.run(10_000, () => (order.push('big'), big.work())),
      gate.run(1, () => (order.push('small'), small.work())),
    ];
    await tick();
    expect(order).toEqual(['big']);
    big.release();
    small.release();
    await Promise.all(runs);
    expect(order).toEqual(['big', 'small']);
  });

  it('frees the slot and the bytes when the work fails, and passes the error on', async () => {
    const gate = new DecodeGate(1, 100);
    await expect(gate.run(100, () => Promise.reject(new Error('broken')))).rejects.toThrow('broken');
    expect(gate.active).toEqual({ count: 0, bytes: 0 });
    await expect(gate.run(100, async () => 'next')).resolves.toBe('next');
  });

  it('refuses a gate without slots or bytes', () => {
    expect(() => new DecodeGate(0, 100)).toThrow(RangeError);
    expect(() => new DecodeGate(1, 0)).toThrow(RangeError);
  });

  it('refuses work beyond `maxWaiting` at once (503 with Retry-After at the edge), and takes it again later', async () => {
    const gate = new DecodeGate(1, 1000, 2);
    const pieces = Array.from({ length: 3 }, () => held());
    const runs = pieces.map((p) => gate.run(1, p.work));
    await tick();
    expect(gate.waiting).toBe(2);
    await expect(gate.run(1, async () => 'late')).rejects.toBeInstanceOf(DecodeQueueFullError);
    for (const p of pieces) p.release();
    await Promise.all(runs);
    await expect(gate.run(1, async () => 'now')).resolves.toBe('now');
  });

  it('starts background work only when no foreground work runs or waits, and never refuses it', async () => {
    const gate = new DecodeGate(2, 1000, 1);
    const started: string[] = [];
    const piece = (name: string) => {
      const p = held();
      return { ...p, work: () => (started.push(name), p.work()) };
    };
    const upload1 = piece('upload1');
    const avif1 = piece('avif1');
    const avif2 = piece('avif2');
    const runs = [gate.run(1, upload1.work), gate.run(1, avif1.work, { background: true })];
    runs.push(gate.run(1, avif2.work, { background: true })); // beyond maxWaiting: background is not counted
    await tick();
    expect(started).toEqual(['upload1']); // a slot is free, but an upload runs
    expect(gate.waitingInBackground).toBe(2);
    upload1.release();
    await tick();
    expect(started).toEqual(['upload1', 'avif1', 'avif2']); // the lull: both slots
    // Foreground that arrives meanwhile takes the next free slot before any more background.
    const avif3 = piece('avif3');
    const upload2 = piece('upload2');
    runs.push(gate.run(1, avif3.work, { background: true }), gate.run(1, upload2.work));
    avif1.release();
    await tick();
    expect(started.slice(3)).toEqual(['upload2']);
    avif2.release();
    await tick();
    expect(started.slice(4)).toEqual([]); // upload2 still runs: avif3 waits though a slot is free
    upload2.release();
    await tick();
    expect(started.slice(4)).toEqual(['avif3']);
    avif3.release();
    await Promise.all(runs);
    expect(gate.active).toEqual({ count: 0, bytes: 0 });
  });
});
