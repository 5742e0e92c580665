import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError } from '../common/domain-error.js';
import { errorAnswer, writeErrorAnswer } from '../common/http-exception.filter.js';
import { writeServed } from './served-file.js';
import { ServingService } from './serving.service.js';

/** Runs on every link request before it is answered (request id, security headers, logging, metrics). */
export type RequestHook = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Serves `/media/...` links straight from node:http, ahead of Express and Nest's router: the same
 * ServingService, the same one exit (writeServed) and the same error shape as MediaController, which still
 * answers whatever this handler passes on (an unusual path, a method other than GET/HEAD). Returns false when
 * the request is not one it takes.
 */
export function mediaRequestHandler(
  serving: ServingService,
  hook: RequestHook = () => undefined,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const logger = new Logger('Media');
  return (req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith('/media/') || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const end = url.indexOf('?');
    const parts = (end === -1 ? url : url.slice(0, end)).split('/'); // ['', 'media', a, b, c]
    if (parts.length !== 5 || url.includes('%')) return false;
    const [, , first, second, file] = parts;
    const expiring = first === 'x';
    hook(req, res);
    const ifNoneMatch = req.headers['if-none-match'];
    const accept = req.headers.accept;
    const served = expiring
      ? serving.expiring(second, file, ifNoneMatch, accept)
      : serving.permanent(first, second, file, ifNoneMatch, accept);
    served
      .then((file) => writeServed(res, file))
      .catch((error: unknown) => {
        if (!(error instanceof DomainError)) logger.error(error instanceof Error ? (error.stack ?? error) : error);
        if (res.headersSent) return void res.destroy();
        writeErrorAnswer(res, errorAnswer(error));
      });
    return true;
  };
}
