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
 * The one exit for every file: Content-Type, Content-Length, ETag, Cache-Control, nosniff, then the bytes.
 * Plain node:http, so a Nest controller and a bare request handler write the same response.
 */
export async function writeServed(res: ServerResponse, served: ServedFile): Promise<void> {
  res.statusCode = served.status;
  res.setHeader('ETag', served.etag);
  res.setHeader('Cache-Control', served.cacheControl);
  if (served.expires) res.setHeader('Expires', served.expires);
  if (served.vary) res.setHeader('Vary', served.vary);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (served.body) {
    res.setHeader('Content-Type', served.contentType);
    res.setHeader('Content-Length', served.body.length);
    res.end(served.body);
    return;
  }
  if (!served.object) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', served.contentType);
  res.setHeader('Content-Length', served.object.size);
  // A client that goes away mid-file is not an error of ours: just stop reading.
  await pipeline(served.object.stream, res).catch(() => res.destroy());
}
