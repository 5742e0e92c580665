import { Clock } from '../../src/common/clock.js';

/** A clock that tests move by hand: no sleeping. */
export class TestClock extends Clock {
  private current = Date.now();

  now(): Date {
    return new Date(this.current);
  }

  set(at: Date | number): void {
    this.current = typeof at === 'number' ? at : at.getTime();
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
