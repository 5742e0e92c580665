import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { StoredObject } from '../storage/storage.js';

/** What a link resolves to: the headers to send, and the bytes unless the client's copy is current (304). */
export interface ServedFile {
  status: 200 | 304;
  etag: string;
  cacheControl: string;
  /** Expiring links: when the response stops being valid (an HTTP date). */
  expires?: string;
  contentType: string;
  /** The Vary header: `Accept` on every thumbnail answer (negotiated), none on originals. */
  vary?: string;
  /** With status 200: the bytes, as a stream from storage or (small, hot files) from memory. */
  object?: StoredObject;
  body?: Buffer;
}

/**
 * A ServedFile with every field present, in one order, whatever the answer (304, bytes in memory, a stream, an
 * expiring link's): every answer has one object shape, so writeServed's reads stay monomorphic. Partial
 * literals and spreads made a shape per kind of answer, and in a megamorphic read a missing field (`expires`
 * on a permanent link's answer) is a lookup through the prototype chain.
 */
export function servedFile(
  status: 200 | 304,
  etag: string,
  cacheControl: string,
  contentType: string,
  vary: string | undefined,
  bytes: Pick<ServedFile, 'object' | 'body'> = {},
  expires?: string,
): ServedFile {
  return { status, etag, cacheControl, expires, contentType, vary, object: bytes.object, body: bytes.body };
}

/**
 * The one exit for every file: `head` (the caller's headers: request id, security headers with nosniff) then
 * ETag, Cache-Control, Expires, Vary, Content-Type and Content-Length, then the bytes. Plain node:http, and
 * every header in one writeHead of a flat list: Node then skips its per-response header object. Bytes in
 * memory are written at once; a stream returns the promise of its end.
 */
export function writeServed(
  res: ServerResponse,
  served: ServedFile,
  head: readonly string[] = [],
): void | Promise<void> {
  const headers = [...head, 'ETag', served.etag, 'Cache-Control', served.cacheControl];
  if (served.expires) headers.push('Expires', served.expires);
  if (served.vary) headers.push('Vary', served.vary);
  const size = served.body?.length ?? served.object?.size;
  if (size !== undefined) headers.push('Content-Type', served.contentType, 'Content-Length', String(size));
  res.writeHead(served.status, headers);
  if (!served.object) {
    res.end(served.body);
    return;
  }
  // A client that goes away mid-file is not an error of ours: just stop reading.
  return pipeline(served.object.stream, res).catch(() => void res.destroy());
}
