import { UploadGate } from './upload-gate.js';

describe('UploadGate', () => {
  it('refuses a user beyond their bound, then the server beyond its total, and frees slots on release', () => {
    const gate = new UploadGate(2, 3);
    const a1 = gate.enter('a');
    const a2 = gate.enter('a');
    expect(gate.enter('a')).toEqual({ refused: { scope: 'user', retryAfterSeconds: 5 } });
    const b1 = gate.enter('b');
    expect(gate.enter('c')).toEqual({ refused: { scope: 'server', retryAfterSeconds: 5 } });
    expect(gate.inProgress()).toBe(3);
    if (!('release' in a1) || !('release' in a2) || !('release' in b1)) throw new Error('expected slots');
    a1.release();
    a1.release(); // twice is once
    expect(gate.inProgress()).toBe(2);
    expect(gate.inProgress('a')).toBe(1);
    expect('release' in gate.enter('c')).toBe(true);
    a2.release();
    b1.release();
    expect(gate.inProgress('a')).toBe(0);
  });
});
