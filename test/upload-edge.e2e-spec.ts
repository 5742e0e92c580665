import { once } from 'node:events';
import { readdirSync, watch } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { PrincipalCache } from '../src/auth/principal-cache.service.js';
import { TiersService } from '../src/tiers/tiers.service.js';
import { bootApp, type TestApp } from './support/app.js';
import * as fixtures from './support/images.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition` holds, polling; fails with `what` after `ms`. Not a speed check: a liveness one. */
async function eventually(what: string, condition: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`Timed out waiting for: ${what}`);
    await sleep(50);
  }
}

/** A raw client connection that records what the server sends and whether it closed the connection. */
interface Raw {
  socket: Socket;
  received: () => string;
  closed: () => boolean;
}
async function open(baseUrl: string): Promise<Raw> {
  const { port } = new URL(baseUrl);
  const socket = connect(Number(port), '127.0.0.1');
  let text = '';
  let closed = false;
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined); // resets are expected: the server cuts these clients
  socket.on('close', () => (closed = true));
  await once(socket, 'connect');
  return { socket, received: () => text, closed: () => closed };
}

/** A raw connection to the app, and the socket the server accepted for it (to read how much it read). */
async function openSeenByServer(t: TestApp): Promise<{ raw: Raw; serverSide: Socket }> {
  const server = t.app.getHttpServer();
  let serverSide: Socket | undefined;
  const onConnection = (socket: Socket) => (serverSide ??= socket);
  server.on('connection', onConnection);
  try {
    const raw = await open(t.baseUrl);
    await eventually('the server accepting the connection', () => serverSide !== undefined);
    return { raw, serverSide: serverSide! };
  } finally {
    server.off('connection', onConnection);
  }
}

const chunk = (data: string | Buffer) =>
  Buffer.concat([Buffer.from(`${Buffer.byteLength(data).toString(16)}\r\n`), Buffer.from(data), Buffer.from('\r\n')]);
const FILE_PART = '--XB\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n';
const uploadHead = (token: string, framing: string) =>
  `POST /api/images HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
  `Content-Type: multipart/form-data; boundary=XB\r\n${framing}\r\n`;

/** POSTs `total` bytes of multipart body with Node's http client; resolves with the status or the client's error. */
function nodeHttpUpload(
  baseUrl: string,
  token: string,
  total: number,
  chunked: boolean,
  connectionClose = false,
): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const head = Buffer.from(FILE_PART);
    const tail = Buffer.from('\r\n--XB--\r\n');
    const fill = total - head.length - tail.length;
    const req = httpRequest(`${baseUrl}/api/images`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'multipart/form-data; boundary=XB',
        ...(chunked ? {} : { 'content-length': String(total) }),
        ...(connectionClose ? { connection: 'close' } : {}),
      },
      ...(connectionClose ? { agent: false } : {}),
    });
    let status: number | undefined;
    let body = '';
    let error: string | undefined;
    // Done when the answer has been read and the request is over (written, or given up by the client after
    // a complete answer), or when the client failed (EPIPE, reset: what a server closing too early causes).
    let pending = 2;
    const settle = () => --pending === 0 && resolve({ status, body, ...(error ? { error } : {}) });
    req.on('response', (res: IncomingMessage) => {
      status = res.statusCode;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', settle);
    });
    req.on('close', settle);
    req.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    void (async () => {
      req.write(head);
      const block = Buffer.alloc(256 * 1024, 7);
      for (let sent = 0; sent < fill; sent += block.length) {
        if (req.destroyed) return;
        const part = block.subarray(0, Math.min(block.length, fill - sent));
        if (!req.write(part)) await once(req, 'drain');
      }
      req.end(tail);
    })().catch(() => undefined);
  });
}

/**
 * Writes `block` (a chunk of a chunked body) again and again until `limit` bytes are sent or the server closes the
 * connection; how many bytes were written. Waits for drain without leaving listeners behind on the socket.
 */
async function sendChunksUntilClosed(
  raw: { socket: Socket; closed(): boolean },
  block: Buffer,
  limit: number,
): Promise<number> {
  let sent = 0;
  while (sent < limit && !raw.closed() && !raw.socket.destroyed) {
    const ok = raw.socket.write(block);
    sent += block.length;
    if (ok) continue;
    const done = new AbortController();
    const options = { signal: done.signal };
    await Promise.race([once(raw.socket, 'drain', options), once(raw.socket, 'close', options)]).catch(() => 0);
    done.abort();
  }
  return sent;
}

describe('the upload edge: what a slow, stalled or oversized client costs', () => {
  let t: TestApp;
  let token: string;
  const spoolFiles = () => readdirSync(join(t.config.dataDir, 'uploads'));

  beforeAll(async () => {
    // Lock waits up to 10 s: one test holds a table for longer than the idle timeout.
    t = await bootApp({ env: { BODY_IDLE_TIMEOUT: '2', DB_LOCK_TIMEOUT_MS: '10000' } });
    token = await t.login('edge-user', { tier: 'Premium' });
  });
  afterAll(() => t.close());

  describe('413 that every client reads (default 20 MiB limit)', () => {
    it('Node http client, 21 MiB with Content-Length: sees the 413, no EPIPE, nothing spooled', async () => {
      const result = await nodeHttpUpload(t.baseUrl, token, 21 * MiB, false);
      expect(result).toEqual({
        status: 413,
        body: JSON.stringify({
          statusCode: 413,
          error: 'Payload Too Large',
          message: `The file is larger than the limit of ${20 * MiB} bytes`,
        }),
      });
      expect(spoolFiles()).toEqual([]);
    });

    it('the same from a client that sent Connection: close (Node would close at once: a reset)', async () => {
      const result = await nodeHttpUpload(t.baseUrl, token, 21 * MiB, false, true);
      expect(result.error).toBeUndefined();
      expect(result.status).toBe(413);
      expect(spoolFiles()).toEqual([]);
    });

    it('Node http client, 21 MiB chunked: sees the 413, no EPIPE, the spooled part removed', async () => {
      const result = await nodeHttpUpload(t.baseUrl, token, 21 * MiB, true);
      expect(result.error).toBeUndefined();
      expect(result.status).toBe(413);
      expect(JSON.parse(result.body!)).toMatchObject({ statusCode: 413, message: /larger than the limit/ });
      await eventually('spool empty', () => spoolFiles().length === 0);
    });

    it('a declared Content-Length over the limit is refused before the body: answer without a byte of it, no spool file', async () => {
      const created: string[] = [];
      const watcher = watch(join(t.config.dataDir, 'uploads'), (_event, name) => created.push(String(name)));
      try {
        const raw = await open(t.baseUrl);
        // Headers and the file part's header; then nothing. Only an early refusal can answer this.
        raw.socket.write(uploadHead(token, `Content-Length: ${30 * MiB}\r\n`) + FILE_PART);
        await eventually('an answer', () => raw.received().includes('}'), 5_000);
        expect(raw.received()).toMatch(/^HTTP\/1\.1 413 /);
        expect(raw.received()).toContain(`"message":"The file is larger than the limit of ${20 * MiB} bytes"`);
        raw.socket.destroy();
      } finally {
        watcher.close();
      }
      expect(created).toEqual([]);
    });

    it('an over-limit chunked upload stops being read near the limit, not at its end', async () => {
      const { raw, serverSide } = await openSeenByServer(t);
      raw.socket.write(uploadHead(token, 'Transfer-Encoding: chunked\r\n') + chunk(FILE_PART).toString('latin1'));
      const sent = await sendChunksUntilClosed(raw, chunk(Buffer.alloc(256 * 1024, 7)), 300 * MiB);
      await eventually('the server closing the connection', () => raw.closed());
      expect(raw.received()).toMatch(/^HTTP\/1\.1 413 /);
      // The parser stops at 20 MiB; the discard after the 413 adds 2 × 20 MiB, checked every 100 ms (about
      // 68-80 MiB in all here). Without the bound the server reads all 300 MiB.
      expect(serverSide.bytesRead).toBeLessThan(100 * MiB);
      expect(sent).toBeGreaterThan(serverSide.bytesRead);
      await eventually('spool empty', () => spoolFiles().length === 0);
    });
  });

  describe('a chunked upload over the tier’s maxUploadBytes (issue 20)', () => {
    const LIMIT = 64 * 1024;
    const TIER_413 = {
      statusCode: 413,
      error: 'Payload Too Large',
      message: "The file is larger than your tier's limit of 64 KiB (65536 bytes) per upload",
    };
    let small: string;
    beforeAll(async () => {
      await t.app.get(TiersService).setTier({ name: 'Small', heights: [200], limits: { maxUploadBytes: LIMIT } });
      await t.app.get(PrincipalCache).settled();
      small = await t.login('small-chunked', { tier: 'Small' });
    });

    it('is answered 413 naming the tier’s limit once the counted bytes pass it, not after the server’s 20 MiB', async () => {
      const { raw, serverSide } = await openSeenByServer(t);
      const created: string[] = [];
      const watcher = watch(join(t.config.dataDir, 'uploads'), (_event, name) => created.push(String(name)));
      raw.socket.write(uploadHead(small, 'Transfer-Encoding: chunked\r\n') + chunk(FILE_PART).toString('latin1'));
      const sent = await sendChunksUntilClosed(raw, chunk(Buffer.alloc(16 * 1024, 7)), 100 * MiB);
      await eventually('the server closing the connection', () => raw.closed());
      watcher.close();
      expect(raw.received()).toMatch(/^HTTP\/1\.1 413 /);
      expect(JSON.parse(raw.received().slice(raw.received().indexOf('{')))).toEqual(TIER_413);
      // Read: the limit, then at most 1 MiB discarded so the client reads the answer, plus what the socket and
      // the parser had buffered (about 1.2 MiB in all here); the server's own limit would have read 20 MiB and
      // discarded up to 40 MiB more (the test above).
      expect(serverSide.bytesRead).toBeLessThan(LIMIT + 4 * MiB);
      expect(sent).toBeGreaterThan(serverSide.bytesRead);
      // The spool file was opened for the accepted part and is gone; nothing is left.
      expect(new Set(created).size).toBeLessThanOrEqual(1);
      await eventually('spool empty', () => spoolFiles().length === 0);
    });

    it('Node http client, 2 MiB chunked against a 64 KiB tier: sees the 413 with the tier’s message, no EPIPE', async () => {
      const result = await nodeHttpUpload(t.baseUrl, small, 2 * MiB, true);
      expect(result.error).toBeUndefined();
      expect(result.status).toBe(413);
      expect(JSON.parse(result.body!)).toEqual(TIER_413);
      await eventually('spool empty', () => spoolFiles().length === 0);
      // Under the limit, chunked: still accepted.
      const png = await fixtures.png(40, 40);
      const ok = await t
        .http()
        .post('/api/images')
        .auth(small, { type: 'bearer' })
        .attach('file', png, { filename: 'a.png', contentType: 'image/png' });
      expect(ok.status).toBe(201);
    });
  });

  describe('415 for anything but multipart/form-data, whatever its size', () => {
    it.each([
      ['a 150 KB JSON body', 'application/json', JSON.stringify({ file: 'x'.repeat(150_000) })],
      ['a small JSON body', 'application/json', '{"file":"x"}'],
      ['a urlencoded form', 'application/x-www-form-urlencoded', 'file=x'],
      ['a raw PNG', 'image/png', 'not really a png'],
    ])('%s: 415 naming multipart/form-data and the file field', async (_name, type, body) => {
      const res = await t
        .http()
        .post('/api/images')
        .auth(token, { type: 'bearer' })
        .set('content-type', type)
        .send(body)
        .expect(415);
      expect(res.body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: 'Send the image as multipart/form-data, with the file in the field "file"',
      });
    });
  });

  describe('stalled and abandoned uploads', () => {
    it('an upload that stops sending is cut after the idle timeout and leaves no spool file', async () => {
      const raw = await open(t.baseUrl);
      raw.socket.write(uploadHead(token, 'Transfer-Encoding: chunked\r\n'));
      raw.socket.write(chunk(FILE_PART));
      raw.socket.write(chunk(Buffer.alloc(64 * 1024, 1)));
      await eventually('the part spooled', () => spoolFiles().length === 1);
      // Then silence: BODY_IDLE_TIMEOUT is 2 s here (30 s by default).
      await eventually('the server cutting the stalled upload', () => raw.closed(), 15_000);
      await eventually('spool empty', () => spoolFiles().length === 0);
      await t.http().get('/api/images').auth(token, { type: 'bearer' }).expect(200);
    });

    it('an upload the server is slow to admit is not cut for the server’s own silence', async () => {
      // The caller's grants are not cached yet (a user just created), and their query waits on a lock for longer
      // than BODY_IDLE_TIMEOUT (2 s): the whole body sits read in the server before the upload edge is reached.
      const slow = await t.login('slow-to-admit', { tier: 'Premium' });
      const locker = t.dataSource.createQueryRunner();
      await locker.connect();
      try {
        await locker.startTransaction();
        await locker.query('LOCK TABLE tiers IN ACCESS EXCLUSIVE MODE');
        const upload = t
          .http()
          .post('/api/images')
          .auth(slow, { type: 'bearer' })
          .attach('file', await fixtures.png(40, 40), { filename: 'a.png', contentType: 'image/png' })
          .then(
            (res) => res.status,
            (error: Error) => error.message,
          );
        await sleep(3000);
        await locker.commitTransaction();
        expect(await upload).toBe(201);
      } finally {
        if (locker.isTransactionActive) await locker.rollbackTransaction();
        await locker.release();
      }
    });

    it('a client that aborts an upload is not logged as an error', async () => {
      const logged: string[] = [];
      const writes = { out: process.stdout.write, err: process.stderr.write };
      const capture = (stream: NodeJS.WriteStream, original: typeof process.stdout.write) =>
        ((chunkOrText: string | Uint8Array, ...rest: unknown[]) => {
          logged.push(String(chunkOrText));
          return (original as (...args: unknown[]) => boolean).call(stream, chunkOrText, ...rest);
        }) as typeof process.stdout.write;
      process.stdout.write = capture(process.stdout, writes.out);
      process.stderr.write = capture(process.stderr, writes.err);
      try {
        for (let i = 0; i < 3; i++) {
          const raw = await open(t.baseUrl);
          raw.socket.write(uploadHead(token, `Content-Length: ${2 * MiB}\r\n`) + FILE_PART);
          raw.socket.write(Buffer.alloc(256 * 1024, 1));
          await eventually('the part spooled', () => spoolFiles().length === 1);
          raw.socket.destroy();
          await eventually('spool empty', () => spoolFiles().length === 0);
        }
        await sleep(200);
      } finally {
        process.stdout.write = writes.out;
        process.stderr.write = writes.err;
      }
      expect(logged.filter((line) => /ERROR|aborted|closed/i.test(line))).toEqual([]);
    });
  });
});

describe('a few hundred slow connections while ordinary requests are answered', () => {
  let t: TestApp;
  const spoolFiles = () => readdirSync(join(t.config.dataDir, 'uploads'));

  beforeAll(async () => {
    t = await bootApp({
      env: {
        HEADERS_TIMEOUT: '2',
        BODY_IDLE_TIMEOUT: '2',
        REQUEST_TIMEOUT: '3',
        MAX_UPLOADS_PER_USER: '8',
        MAX_UPLOADS_IN_PROGRESS: '50',
      },
    });
  });
  afterAll(() => t.close());

  it('cuts header and JSON tricklers, bounds uploads in progress, and keeps answering', async () => {
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => t.login(`slow-${i}`)));
    const png = await fixtures.png(16, 16);

    // 100 connections trickling their headers, 100 trickling a login body, 100 trickling uploads.
    const headerTricklers = await Promise.all(Array.from({ length: 100 }, () => open(t.baseUrl)));
    const jsonTricklers = await Promise.all(Array.from({ length: 100 }, () => open(t.baseUrl)));
    const uploaders = await Promise.all(Array.from({ length: 100 }, () => open(t.baseUrl)));
    for (const raw of headerTricklers) raw.socket.write('GET /api/health HTTP/1.1\r\n');
    for (const raw of jsonTricklers) {
      raw.socket.write(
        'POST /api/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{',
      );
    }
    uploaders.forEach((raw, i) => {
      raw.socket.write(uploadHead(tokens[i % 10]!, 'Transfer-Encoding: chunked\r\n'));
      raw.socket.write(chunk(FILE_PART));
      raw.socket.write(chunk(png.subarray(0, 8)));
    });
    let trickling = true;
    const trickle = setInterval(() => {
      if (!trickling) return;
      for (const raw of headerTricklers) if (!raw.closed()) raw.socket.write('X');
      for (const raw of jsonTricklers) if (!raw.closed()) raw.socket.write(' ');
      for (const raw of uploaders) if (!raw.closed()) raw.socket.write(chunk('x'));
    }, 300);

    try {
      // Uploads beyond the bounds are refused at once: 8 per user would admit 80, the total admits 50.
      const answered = () => uploaders.filter((raw) => /^HTTP\/1\.1 (429|503) /.test(raw.received()));
      await eventually('50 uploads refused', () => answered().length === 50);
      for (const raw of answered()) expect(raw.received()).toMatch(/\r\nRetry-After: 5\r\n/i);
      expect(answered().some((raw) => raw.received().startsWith('HTTP/1.1 503'))).toBe(true);
      await eventually('the admitted uploads spooled', () => spoolFiles().length === 50);

      // Meanwhile, ordinary requests are answered.
      for (let i = 0; i < 10; i++) {
        await t.http().get('/api/health').expect(200);
        await t.http().get('/api/images').auth(tokens[0]!, { type: 'bearer' }).expect(200);
      }
      await t.http().post('/api/auth/token').send({ username: 'slow-1', password: 'password-123' }).expect(200);

      // Trickling headers (2 s) and a trickling body that is not an upload (3 s) are cut, though they move.
      await eventually('header tricklers cut', () => headerTricklers.every((raw) => raw.closed()));
      await eventually('JSON tricklers cut', () => jsonTricklers.every((raw) => raw.closed()));
      for (const raw of headerTricklers) expect(raw.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
      // An upload that keeps moving is never cut by a deadline.
      const admitted = uploaders.filter((raw) => raw.received() === '');
      expect(admitted).toHaveLength(50);
      expect(admitted.every((raw) => !raw.closed())).toBe(true);
    } finally {
      trickling = false;
      clearInterval(trickle);
    }
    // Once they fall silent, the idle timeout cuts them and their spool files go.
    await eventually('stalled uploads cut', () => uploaders.every((raw) => raw.closed()));
    await eventually('spool empty', () => spoolFiles().length === 0);
    await t.http().get('/api/health').expect(200);
  });
});
