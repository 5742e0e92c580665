import { PayloadTooLargeException } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AppConfig } from '../config/config.js';
import { UploadLimits } from './upload-limits.js';

const MiB = 1024 * 1024;
const IDLE_MS = 300;
const HEAD = 'POST /api/images HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
const CHUNK = `4000\r\n${'x'.repeat(0x4000)}\r\n`;

describe('UploadLimits.answerTooLarge', () => {
  let server: Server;
  let port: number;
  const limits = new UploadLimits({ maxUploadBytes: 20 * MiB } as AppConfig);
  /** When the spooled part is gone, for the request at hand (each test says). */
  let removal: (request: IncomingMessage) => Promise<void>;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.socket.setTimeout(IDLE_MS); // the body idle timeout (server-limits.ts); Node destroys on it
      limits.answerTooLarge(request, response, removal(request), {
        error: new PayloadTooLargeException('The file is larger than your tier allows'),
        lingerBytes: MiB,
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers 413 to a client still sending past the bound, however long the spooled file takes to go', async () => {
    // The spooled part is removed only well after the discard has passed its bound (a busy disk, a fast
    // client), longer than the idle timeout.
    removal = (request) => cut(request).then(() => sleep(3 * IDLE_MS));
    const client = open(port);
    const pump = () => {
      while (!client.socket.destroyed && client.socket.write(CHUNK));
    };
    client.socket.on('drain', pump);
    pump();
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(client.received()).toContain('"message":"The file is larger than your tier allows"');
  });

  it('answers 413 to a client that writes again the moment the answer is out: no reset under its write', async () => {
    // The part is gone once the server has cut the body and the client's bytes have all left its queue; right
    // after the server answers, the client writes once more (as a client streaming a body does). Had the
    // server reset the connection, that write would fail and Node would destroy the socket without reading
    // the answer, already delivered.
    let clientWritesAgain!: Promise<void>;
    const client = open(port);
    removal = (request) => {
      const gone = until(() => isCut(request) && client.socket.writableLength === 0);
      // A turn later than the server's own reaction to `gone` (registered after this one): just after its answer.
      clientWritesAgain = gone.then(() => undefined).then(() => void client.socket.write(CHUNK));
      return gone;
    };
    for (let sent = 0; sent < 1.5 * MiB; sent += CHUNK.length) client.socket.write(CHUNK);
    await client.closed;
    await clientWritesAgain;
    expect(client.received()).toMatch(/^HTTP\/1\.1 413 /);
  });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The discard has passed its bound and stopped reading (the cut before the answer). */
const isCut = (request: IncomingMessage) => request.isPaused() && request.listenerCount('data') === 0;
const cut = (request: IncomingMessage) => until(() => isCut(request));

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

/** A raw client that has sent the upload's head and records what it receives. */
function open(port: number): { socket: Socket; received: () => string; closed: Promise<unknown> } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (data) => (received += data.toString('latin1')));
  socket.on('error', () => undefined); // the cut may end in a reset
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(HEAD);
  return { socket, received: () => received, closed };
}
