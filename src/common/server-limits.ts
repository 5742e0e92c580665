import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What a slow or oversized client may cost one connection. Times in milliseconds. */
export interface ServerLimits {
  /** From the connection's start until the request headers are complete (then Node answers 408 and closes). */
  headersTimeoutMs: number;
  /** A request body that sends nothing for this long is cut (the socket is destroyed). */
  bodyIdleTimeoutMs: number;
  /** A request body must be complete this long after its headers, unless `isUpload` says otherwise. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** After an answer sent before its body was read (413, 415, 401...): discard at most this much more ... */
  lingerBytes: number;
  /** ... for at most this long, then close. Lets every client read the answer (nginx's lingering close). */
  lingerMs: number;
  /**
   * Uploads: their body may take as long as it keeps moving (bounded by count instead), and it is read only
   * once the upload edge has admitted the request (after the guards), which arms the idle timeout then.
   */
  isUpload: (request: IncomingMessage) => boolean;
}

// Node checks header and request deadlines on this period; 30 s by default, which would let a
// 20 s header deadline run to 50 s.
const CHECK_INTERVAL_MS = 1000;

const hasBody = (request: IncomingMessage) =>
  request.headers['transfer-encoding'] !== undefined ||
  (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');

/**
 * Applies the limits to the HTTP server before it listens (createApp does it, so main.ts and the tests get
 * the same). Node's own settings cover headers and keep-alive; Node's whole-request timeout is off because a
 * 20 MiB upload on a slow line must not be cut while it moves, so the body deadlines are kept here.
 */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = 0;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = CHECK_INTERVAL_MS;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (hasBody(request)) guardBody(request, response, limits);
  });
}

function guardBody(request: IncomingMessage, response: ServerResponse, limits: ServerLimits): void {
  const socket = request.socket;
  const upload = limits.isUpload(request);
  // Silence while the body arrives. Other bodies are read at once (the body parser comes before the guards);
  // an upload's waits in the socket until the upload edge admits it: until then the silence is the server's.
  if (!upload) socket.setTimeout(limits.bodyIdleTimeoutMs);
  request.on('timeout', () => cutIfSilent(socket));
  request.once('end', () => {
    // Body in: the handler may take its time. After the answer, Node's keep-alive timer is in charge.
    if (!response.writableFinished) socket.setTimeout(0);
  });
  const deadline = upload
    ? undefined
    : setTimeout(() => {
        if (!request.complete) socket.destroy();
      }, limits.requestTimeoutMs);
  deadline?.unref();
  // A client that sent `Connection: close` makes Node close as soon as the answer is written, so if it is
  // still sending, it gets a reset instead of the answer. Answer on a kept-alive connection, then close
  // once the rest of the body is discarded.
  const clientCloses = /\bclose\b/i.test(request.headers.connection ?? '');
  if (clientCloses) {
    const writeHead = response.writeHead;
    response.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (!request.complete) this.shouldKeepAlive = true;
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof response.writeHead;
  }
  response.once('finish', () => {
    if (!request.complete) linger(request, socket, limits, clientCloses);
  });
  response.once('close', () => clearTimeout(deadline));
}

/**
 * The body idle timeout fired (Node emits it on the request, and destroys the socket itself only when nobody
 * listens). Node runs due timers before it reads the sockets: after a stall of the whole process (a long
 * collection, a starved machine), the timer fires before the read of what the client sent meanwhile. So judge
 * after that read, as nginx does (its events before its timers): a byte read since means the client was not
 * silent, and the read has restarted the timer.
 */
function cutIfSilent(socket: Socket): void {
  const read = socket.bytesRead;
  setImmediate(() => {
    if (socket.bytesRead === read) socket.destroy();
  });
}

/**
 * Reads and throws away what is left of a request body, for at most `lingerBytes` and `lingerMs` (counted as
 * the bytes arrive: a timer would let a fast client outrun it on a busy machine); then `done(cut)`: false
 * when the body ended within the bounds, true when a bound was hit.
 */
export function discardBody(
  request: IncomingMessage,
  limits: Pick<ServerLimits, 'lingerBytes' | 'lingerMs'>,
  done: (cut: boolean) => void,
): void {
  let discarded = 0;
  let finished = false;
  const finish = (cut: boolean) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    request.off('data', count);
    // A kept-alive socket outlives the request: leave no listener behind on it.
    request.socket.off('close', closed);
    done(cut);
  };
  const closed = () => finish(false); // nothing more can arrive
  const count = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limits.lingerBytes) finish(true);
  };
  request.on('data', count);
  request.once('end', () => finish(false));
  request.socket.once('close', closed);

  const timer = setTimeout(() => finish(true), limits.lingerMs);
  timer.unref();
}

/**
 * Answered before the body was read: Node discards the rest of the body (keep-alive) or would close at
 * once (a client still writing then gets a reset instead of the answer). Discard within the bounds, then
 * close.
 */
function linger(request: IncomingMessage, socket: Socket, limits: ServerLimits, closeAfter: boolean): void {
  if (socket.destroyed || closing.has(socket)) return;
  discardBody(request, limits, (cut) => {
    if (cut) closeAfterAnswer(request);
    else if (closeAfter) socket.end();
  });
  request.resume(); // discard, whoever was reading
}

/**
 * Reads nothing more of a request's body (a paused request makes the HTTP parser stop reading the socket
 * once its buffer is full). The silence from here is the server's own, not the client's: no idle timeout;
 * the caller bounds it.
 */
export function stopReading(request: IncomingMessage): void {
  request.unpipe();
  request.pause();
  request.socket.pause();
  request.socket.setTimeout(0);
}

/** How long a client still sending is given to read its answer before the connection is cut. */
const ANSWER_GRACE_MS = 1000;
const closing = new WeakSet<Socket>();

/**
 * Closes the connection of a request whose answer is written but whose client is still sending: reads
 * nothing more, sends FIN behind the answer, and destroys the socket after a short grace. Destroying it at
 * once would reset the connection (its unread bytes make the kernel send RST), and a client writing at that
 * moment gets the reset as a write error before it reads the answer already delivered: Node's client then
 * destroys its socket and never sees the answer. After FIN its writes still succeed and it reads the answer.
 */
export function closeAfterAnswer(request: IncomingMessage): void {
  const socket = request.socket;
  if (socket.destroyed || closing.has(socket)) return;
  closing.add(socket);
  stopReading(request);
  socket.end();
  setTimeout(() => socket.destroy(), ANSWER_GRACE_MS).unref();
}
