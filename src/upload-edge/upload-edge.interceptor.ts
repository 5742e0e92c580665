import {
  BadRequestException,
  type CallHandler,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  type NestInterceptor,
  Optional,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { catchError, concatMap, finalize, from, type Observable, switchMap } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/current-user.decorator.js';
import { AppConfig } from '../config/config.js';
import { Metrics } from '../observability/metrics.js';
import { TierUploadTooLargeError } from '../usage/usage.errors.js';
import { UsageService } from '../usage/usage.service.js';
import { UploadGate, type UploadRefusal } from './upload-gate.js';
import { UploadLimits } from './upload-limits.js';
import { UploadSpool } from './upload-spool.js';

const NOT_MULTIPART = 'Send the image as multipart/form-data, with the file in the field "file"';

/**
 * The upload's edge, in front of the multipart parser (the global auth guard has run: the caller is known):
 * - anything but multipart/form-data is 415, whatever its size (the JSON parser never sees this route);
 * - a declared Content-Length over the limit (the server's or the tier's) is 413 before a byte of the body is read;
 * - a quota already full or the day's uploads used up are refused before the body is read (403, 429);
 * - uploads in progress are bounded per process (503) and per user: beyond that bound an upload waits its
 *   turn with its body unread (429 only past the queue's length or wait), both refusals with Retry-After;
 * - the parser's own 413 gets the same message; an upload the client abandoned is not an error;
 * - the spooled file is removed before the answer goes, whatever happens (storage may have moved it away).
 * The rest of an unread body is discarded for a bounded time after the answer (UploadLimits.linger).
 */
@Injectable()
export class UploadEdgeInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Upload');
  private readonly gate: UploadGate;

  constructor(
    private readonly config: AppConfig,
    private readonly limits: UploadLimits,
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
    if (this.limits.declaresTooMuch(request)) {
      this.metrics?.uploadRefused('server_max_upload');
      throw this.limits.tooLarge();
    }
    // The tier's own limit: early when the declared length says so, else once the file is in (ImagesService).
    const tierMax = request.user.tier.maxUploadBytes;
    if (tierMax !== null && this.limits.declaresTooMuch(request, tierMax)) {
      this.metrics?.uploadRefused('tier_max_upload');
      throw new TierUploadTooLargeError(tierMax);
    }
    // Waiting for a slot reads nothing: the body stays in the socket, no temp file, and the silence is not
    // the client's (the body idle timeout starts once admitted). A client that leaves, leaves the queue.
    const left = new AbortController();
    const onClose = () => left.abort();
    response.once('close', onClose);
    request.socket.setTimeout(0);
    let inside = false;
    let release = () => {};
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
        // Held until the connection is done with this request (a 413 may still be discarding its body) AND
        // the handler is done with its decode: a client that disconnects does not free the slot while its
        // decode runs.
        let holders = 2;
        release = () => {
          if (--holders === 0) slot.release();
        };
        response.once('close', release);
        inside = true;
      });
    const removeSpooled = () => this.spool.remove((request as { file?: { path?: string } }).file?.path);

    return from(admitted).pipe(
      switchMap(() => next.handle()),
      catchError((error: unknown) => {
        if (!inside) throw error; // refused before the body was touched: as it is
        if (error instanceof PayloadTooLargeException) {
          this.metrics?.uploadRefused('server_max_upload');
          throw this.limits.tooLarge();
        }
        if (!request.complete) {
          // The client went away (or was cut for idling): nobody reads the answer, and it is not our fault.
          this.logger.debug(`Upload abandoned by the client: ${error instanceof Error ? error.message : error}`);
          throw new BadRequestException('The upload was not completed');
        }
        throw error;
      }),
      // The spooled file goes before the answer, on success and on failure alike.
      concatMap(async (result) => {
        await removeSpooled();
        return result;
      }),
      catchError(async (error: unknown) => {
        await removeSpooled();
        throw error;
      }),
      finalize(() => release()),
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
