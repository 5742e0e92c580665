import {
  BadRequestException,
  type CallHandler,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  Optional,
  type NestInterceptor,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { catchError, finalize, from, type Observable, switchMap } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/current-user.decorator.js';
import { discardBody } from '../common/server-limits.js';
import { AppConfig } from '../config/config.js';
import { Metrics } from '../observability/metrics.js';
import { UploadSpool } from '../storage/upload-spool.js';
import { TierUploadTooLargeError } from '../usage/usage.errors.js';
import { UsageService } from '../usage/usage.service.js';
import { UploadGate, type UploadRefusal } from './upload-gate.js';

// Room for the multipart envelope and the text fields around the file.
const ENVELOPE_BYTES = 64 * 1024;

export const tooLarge = (max: number) => `The file is larger than the limit of ${max} bytes`;
const NOT_MULTIPART = 'Send the image as multipart/form-data, with the file in the field "file"';

/**
 * The upload's edge, in front of the multipart parser (the global auth guard has run: the caller is known):
 * - anything but multipart/form-data is 415, whatever its size (the JSON parser never sees this route);
 * - a declared Content-Length over the limit is 413 before a byte of the body is read;
 * - uploads in progress are bounded per process (503) and per user: beyond that bound an upload waits its
 *   turn with its body unread (429 only past the queue's length or wait), both refusals with Retry-After;
 * - the parser's own 413 gets the same message; an upload the client abandoned is not an error;
 * - the spooled file goes whatever happens (storage has moved it away on success).
 * The rest of an unread body is discarded for a bounded time after the answer (src/common/server-limits.ts).
 */
@Injectable()
export class UploadLimitInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Upload');
  private readonly gate: UploadGate;

  constructor(
    private readonly config: AppConfig,
    private readonly spool: UploadSpool,
    private readonly usage: UsageService,
    @Optional() private readonly metrics?: Metrics,
  ) {
    this.gate = new UploadGate(config.maxUploadsPerUser, config.maxUploadsInProgress, config.uploadQueue);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    if (!request.is('multipart/form-data')) throw new UnsupportedMediaTypeException(NOT_MULTIPART);
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.config.maxUploadBytes + ENVELOPE_BYTES) {
      this.metrics?.uploadRefused('server_max_upload');
      throw new PayloadTooLargeException(tooLarge(this.config.maxUploadBytes));
    }
    // The tier's own limit: early when the declared length says so, else once the file is in (ImagesService).
    const tierMax = request.user.tier.maxUploadBytes;
    if (tierMax !== null && Number.isFinite(declared) && declared > tierMax + ENVELOPE_BYTES) {
      this.metrics?.uploadRefused('tier_max_upload');
      throw new TierUploadTooLargeError(tierMax);
    }
    // Waiting for a slot reads nothing: the body stays in the socket, no temp file, and the silence is not
    // the client's (the body idle timeout resumes once admitted). A client that leaves, leaves the queue.
    const left = new AbortController();
    const onClose = () => left.abort();
    response.once('close', onClose);
    request.socket.setTimeout(0);
    let inside = false;
    // A quota already full or the day's uploads used up: refused before waiting or reading (a hint; the
    // reservation after the decode decides).
    const admitted = this.usage
      .precheck(request.user.id, request.user.tier)
      .then(() => this.gate.enter(request.user.id, left.signal))
      .finally(() => {
        response.off('close', onClose);
        if (!request.complete) request.socket.setTimeout(this.config.bodyIdleTimeoutMs);
      })
      .then((slot) => {
        if ('refused' in slot) throw this.refusal(slot.refused);
        if (left.signal.aborted || response.destroyed) {
          slot.release();
          throw new BadRequestException('The upload was not completed');
        }
        // Held until the connection is done with this request (a 413 may still be discarding its body).
        response.once('close', slot.release);
        inside = true;
      });

    return from(admitted).pipe(
      switchMap(() => next.handle()),
      catchError((error: unknown) => {
        if (!inside) throw error; // refused before the body was touched: as it is
        if (error instanceof PayloadTooLargeException) {
          this.metrics?.uploadRefused('server_max_upload');
          throw new PayloadTooLargeException(tooLarge(this.config.maxUploadBytes));
        }
        if (!request.complete) {
          // The client went away (or was cut for idling): nobody reads the answer, and it is not our fault.
          this.logger.debug(`Upload abandoned by the client: ${error instanceof Error ? error.message : error}`);
          throw new BadRequestException('The upload was not completed');
        }
        throw error;
      }),
      finalize(() => {
        const file = (request as { file?: { path?: string } }).file;
        void this.spool.remove(file?.path).catch(() => undefined);
      }),
    );
  }

  private refusal({ scope, retryAfterSeconds: retryAfter }: UploadRefusal): HttpException {
    if (scope === 'user') this.metrics?.uploadRefused('burst_queue');
    return scope === 'user'
      ? new HttpException(
          { message: `Too many uploads waiting for this user; try again in ${retryAfter} s`, retryAfter },
          HttpStatus.TOO_MANY_REQUESTS,
        )
      : new HttpException(
          { message: `The server has too many uploads in progress; try again in ${retryAfter} s`, retryAfter },
          HttpStatus.SERVICE_UNAVAILABLE,
        );
  }
}

/**
 * The parser has just passed the limit. Once the spooled part is gone (`removed`), answer 413 in full (the
 * client can read it while it is still sending), but end the response only once the parser has drained
 * the body, or after a bounded amount and time from the limit, then close: ending it earlier makes the
 * framework destroy the request, and a client still writing gets a reset instead of the answer.
 */
export function answerTooLarge(
  request: Request,
  response: Response | undefined,
  max: number,
  linger: { lingerBytes: number; lingerMs: number },
  removed: Promise<void> = Promise.resolve(),
): void {
  if (!response || response.headersSent) return;
  const socket = request.socket;
  let written = false;
  let drained = false;
  discardBody(request, linger, (cut) => {
    drained = true;
    if (written && !response.writableEnded) response.end();
    if (cut) socket.destroy();
  });
  void removed.then(() => {
    if (response.headersSent || socket.destroyed) return;
    const body = JSON.stringify({ statusCode: 413, error: STATUS_CODES[413], message: tooLarge(max) });
    response.writeHead(413, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    response.write(body);
    written = true;
    // Already drained: end now (the exception filter destroys a response still open when the error arrives).
    if (drained || request.complete) response.end();
  });
}
