import { PayloadTooLargeException } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AppConfig } from '../config/config.js';
import { UploadLimits } from './upload-limits.js';

const MiB = 1024 * 1024;
const IDLE_MS = 300;

describe('UploadLimits.answerTooLarge', () => {
  let server: Server;
  let port: number;
  const limits = new UploadLimits({ maxUploadBytes: 20 * MiB } as AppConfig);

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.socket.setTimeout(IDLE_MS); // the body idle timeout (server-limits.ts); Node destroys on it
      // The spooled part is removed only well after the discard has passed its bound (a busy disk, a fast
      // client), longer than the idle timeout.
      const removed = pausedFor(request, 3 * IDLE_MS);
      limits.answerTooLarge(request, response, removed, {
        error: new PayloadTooLargeException('The file is larger than your tier allows'),
        lingerBytes: MiB,
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers 413 to a client still sending past the bound, however long the spooled file takes to go', async () => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (data) => (received += data.toString('latin1')));
    socket.on('error', () => undefined); // the cut resets the connection
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('POST /api/images HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`;
    const pump = () => {
      while (!socket.destroyed && socket.write(chunk));
    };
    socket.on('drain', pump);
    pump();
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(received).toContain('"message":"The file is larger than your tier allows"');
  });
});

/** Resolves `ms` after the discard has passed its bound and paused the request (the cut before the answer). */
function pausedFor(request: IncomingMessage, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () =>
      request.isPaused() && request.listenerCount('data') === 0 ? setTimeout(resolve, ms) : setTimeout(check, 5);
    check();
  });
}
