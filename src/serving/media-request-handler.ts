import { Logger, NotFoundException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError } from '../common/domain-error.js';
import { errorAnswer, writeErrorAnswer } from '../common/http-exception.filter.js';
import { isExpiringLink, isMediaUrl, type LinkLabels, linkLabels, mediaLinkParts } from '../links/media-url.js';
import { writeServed } from './served-file.js';
import { type Served, ServingService } from './serving.service.js';

/**
 * Runs on every link request before it is answered (request id, logging, metrics) and gives the headers every
 * answer to it carries (X-Request-Id, the security headers), as a flat list of names and values.
 */
export type RequestHook = (
  req: IncomingMessage,
  res: ServerResponse,
  /** A link's route template and redacted URL, for its log line and metric. */
  link?: LinkLabels,
) => readonly string[];

/**
 * The one entry point for `/media/...`: straight from node:http, ahead of Express and Nest's router. Every
 * request under `/media/` is answered here: a link (GET or HEAD) through ServingService and the one exit
 * (writeServed), anything else (another shape, another method, a malformed encoding) with the same error
 * JSON as the rest of the API. Returns false for a request that is not under `/media/`.
 */
export function mediaRequestHandler(
  serving: ServingService,
  hook: RequestHook = () => [],
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const logger = new Logger('Media');
  const fail = (res: ServerResponse, head: readonly string[], error: unknown) => {
    if (!(error instanceof DomainError) && !isClientError(error)) {
      logger.error(error instanceof Error ? (error.stack ?? error) : error);
    }
    if (res.headersSent) return void res.destroy();
    for (let i = 0; i < head.length; i += 2) res.setHeader(head[i], head[i + 1]);
    writeErrorAnswer(res, errorAnswer(error));
  };
  return (req, res) => {
    const url = req.url ?? '';
    if (!isMediaUrl(url)) return false;
    let parts: string[] | undefined;
    try {
      parts = req.method === 'GET' || req.method === 'HEAD' ? mediaLinkParts(url) : undefined;
    } catch {
      fail(res, hook(req, res), new BadEncoding());
      return true;
    }
    if (!parts) {
      // What Nest's router answered for a path no route matched.
      fail(res, hook(req, res), new NotFoundException(`Cannot ${req.method} ${url}`));
      return true;
    }
    const head = hook(req, res, linkLabels(url, parts));
    const ifNoneMatch = req.headers['if-none-match'];
    const accept = req.headers.accept; // thumbnails are negotiated on it
    let served: Served;
    try {
      served = isExpiringLink(parts)
        ? serving.expiring(parts[3], parts[4], ifNoneMatch, accept)
        : serving.permanent(parts[2], parts[3], parts[4], ifNoneMatch, accept);
    } catch (error) {
      fail(res, head, error);
      return true;
    }
    if (served instanceof Promise) {
      served.then((file) => writeServed(res, file, head)).catch((error: unknown) => fail(res, head, error));
    } else void writeServed(res, served, head);
    return true;
  };
}

/** A path segment that is not valid percent-encoding: 400, as Express answered it. */
class BadEncoding extends Error {
  readonly status = 400;
}

const isClientError = (error: unknown) => error instanceof BadEncoding || error instanceof NotFoundException;
