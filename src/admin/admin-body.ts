import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { parse as parseQuery } from 'node:querystring';

/** A login form is a few hundred bytes; a bound that leaves room for long usernames and passwords. */
export const ADMIN_LOGIN_BODY_BYTES = 8 * 1024;
/** A record edit in the panel (every field of a user, tier or size) is a few KiB: room to spare. */
export const ADMIN_FORM_BODY_BYTES = 256 * 1024;
const MAX_PARTS = 500;

/** Why a body under /admin is refused: HTTP status and a fixed message (never an echo of the body). */
export class AdminBodyError extends Error {
  constructor(
    readonly statusCode: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

const tooLarge = (limit: number) =>
  new AdminBodyError(413, `The request body is larger than the ${limit / 1024} KiB the admin panel takes`);

/** Refuses a declared Content-Length over the limit before a byte is read. */
export function declaredTooLarge(req: IncomingMessage, limit: number): AdminBodyError | null {
  const declared = Number(req.headers['content-length'] ?? 0);
  return declared > limit ? tooLarge(limit) : null;
}

export const hasBody = (req: IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * Reads an /admin body into the fields AdminJS expects (what express-formidable would have given it), in
 * memory and counted byte by byte (chunked bodies too): over `limit`, it stops reading and refuses with 413.
 * Nothing is ever written to disk: multipart parts that are files are refused (the panel has no upload field).
 */
export async function readAdminBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  if (!hasBody(req)) return {};
  const refused = declaredTooLarge(req, limit);
  if (refused) throw refused;
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'multipart/form-data') return readMultipart(req, limit);
  if (type !== 'application/x-www-form-urlencoded' && type !== 'application/json') {
    throw new AdminBodyError(415, 'The admin panel takes form, multipart or JSON bodies only');
  }
  const text = (await readCounted(req, limit)).toString('utf8');
  if (type === 'application/x-www-form-urlencoded') return { ...parseQuery(text) };
  try {
    const parsed: unknown = text.length ? JSON.parse(text) : {};
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new AdminBodyError(400, 'The request body is not a valid JSON object');
  }
}

function readCounted(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(tooLarge(limit)); // the rest is discarded (or the connection cut) by the server's linger
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function readMultipart(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 0, parts: MAX_PARTS, fields: MAX_PARTS, fieldSize: limit, fieldNameSize: 200 },
      });
    } catch {
      reject(new AdminBodyError(400, 'The multipart body has no boundary'));
      return;
    }
    let size = 0;
    let settled = false;
    const fail = (error: AdminBodyError) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.off('data', count);
      reject(error);
    };
    const count = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(tooLarge(limit));
    };
    req.on('data', count);
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (_name, stream) => {
      stream.resume();
      fail(new AdminBodyError(415, 'The admin panel takes no files'));
    });
    parser.on('filesLimit', () => fail(new AdminBodyError(415, 'The admin panel takes no files')));
    parser.on('partsLimit', () => fail(tooLarge(limit)));
    parser.on('fieldsLimit', () => fail(tooLarge(limit)));
    parser.on('error', () => fail(new AdminBodyError(400, 'The multipart body could not be read')));
    parser.on('close', () => {
      if (settled) return;
      settled = true;
      req.off('data', count);
      resolve(fields);
    });
    req.pipe(parser);
  });
}
