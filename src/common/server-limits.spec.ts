import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { discardBody } from './server-limits.js';

describe('discardBody', () => {
  it('leaves no listener on a kept-alive socket once the body ended, however many requests it carried', () => {
    const socket = new EventEmitter();
    const outcomes: boolean[] = [];
    for (let i = 0; i < 20; i++) {
      const request = Object.assign(new EventEmitter(), { socket }) as unknown as IncomingMessage;
      discardBody(request, { lingerBytes: 100, lingerMs: 1000 }, (cut) => outcomes.push(cut));
      request.emit('data', Buffer.alloc(10));
      request.emit('end');
      expect(request.listenerCount('data')).toBe(0);
    }
    expect(outcomes).toEqual(Array(20).fill(false));
    expect(socket.listenerCount('close')).toBe(0);
  });

  it('cuts past lingerBytes, and the socket closing ends it too', () => {
    const socket = new EventEmitter();
    const request = Object.assign(new EventEmitter(), { socket }) as unknown as IncomingMessage;
    const outcomes: boolean[] = [];
    discardBody(request, { lingerBytes: 15, lingerMs: 1000 }, (cut) => outcomes.push(cut));
    request.emit('data', Buffer.alloc(10));
    request.emit('data', Buffer.alloc(10));
    socket.emit('close');
    expect(outcomes).toEqual([true]);
    expect(socket.listenerCount('close')).toBe(0);
  });
});
