import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { applyServerLimits, discardBody } from './server-limits.js';

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

describe('the body idle timeout', () => {
  const IDLE_MS = 200;
  const HEAD = 'POST /form HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
  const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
  const open: Array<() => void> = [];
  afterEach(() => open.splice(0).forEach((close) => close()));

  /** A server that reads the body and answers with its length; `onData` runs on every chunk it reads. */
  async function serve(onData: (received: number, client: Socket) => void) {
    const server = createServer((request, response) => {
      let received = 0;
      request.on('data', (data: Buffer) => onData((received += data.length), client));
      request.on('end', () => response.end(String(received)));
    });
    applyServerLimits(server, {
      headersTimeoutMs: 5000,
      bodyIdleTimeoutMs: IDLE_MS,
      requestTimeoutMs: 5000,
      keepAliveTimeoutMs: 5000,
      lingerBytes: 1024,
      lingerMs: 1000,
      isUpload: () => false,
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    client.on('error', () => undefined);
    // What the client received: the whole answer, or what came before the server closed the connection.
    const answered = new Promise<string>((resolve) => {
      let answer = '';
      client.on('data', (data: Buffer) => {
        answer += data.toString();
        if (/\r\n\r\n\d+$/.test(answer)) resolve(answer);
      });
      client.on('close', () => resolve(answer));
    });
    open.push(() => {
      client.destroy();
      server.close();
    });
    return { client, answered };
  }

  it('does not cut a client that sent while the whole process was stalled for longer than the timeout', async () => {
    // The client's next bytes are in the server's socket buffer before the stall (a long collection, a starved
    // machine); after it, Node runs the due timer before it reads them.
    const { client, answered } = await serve((received, peer) => {
      if (received !== 5) return;
      // Outside the read of this socket (libuv reads a socket again right after its callback), as a stall would.
      setImmediate(() => {
        peer.write(chunk('world') + '0\r\n\r\n');
        const until = Date.now() + 3 * IDLE_MS;
        while (Date.now() < until); // the stall
      });
    });
    client.write(HEAD + chunk('hello'));
    expect(await answered).toMatch(/^HTTP\/1\.1 200 [^]*\r\n\r\n10$/);
  });

  it('still cuts a client that falls silent mid-body', async () => {
    const { client, answered } = await serve(() => undefined);
    client.write(HEAD + chunk('hello'));
    const started = Date.now();
    expect(await answered).toBe('');
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 20);
  });
});
