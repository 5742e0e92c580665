import {
  BadRequestException,
  type CallHandler,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  type NestInterceptor,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { catchError, concatMap, finalize, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/current-user.decorator.js';
import { AppConfig } from '../config/config.js';
import { UploadGate } from './upload-gate.js';
import { UploadLimits } from './upload-limits.js';
import { UploadSpool } from './upload-spool.js';

const NOT_MULTIPART = 'Send the image as multipart/form-data, with the file in the field "file"';

/**
 * The upload's edge, in front of the multipart parser (the global auth guard has run: the caller is known):
 * - anything but multipart/form-data is 415, whatever its size (the JSON parser never sees this route);
 * - a declared Content-Length over the limit is 413 before a byte of the body is read;
 * - uploads in progress are bounded per user (429) and per process (503), both with Retry-After;
 * - the parser's own 413 gets the same message; an upload the client abandoned is not an error;
 * - the spooled file is removed before the answer goes, whatever happens (storage may have moved it away).
 * The rest of an unread body is discarded for a bounded time after the answer (UploadLimits.linger).
 */
@Injectable()
export class UploadEdgeInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Upload');
  private readonly gate: UploadGate;

  constructor(
    config: AppConfig,
    private readonly limits: UploadLimits,
    private readonly spool: UploadSpool,
  ) {
    this.gate = new UploadGate(config.maxUploadsPerUser, config.maxUploadsInProgress);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    if (!request.is('multipart/form-data')) throw new UnsupportedMediaTypeException(NOT_MULTIPART);
    if (this.limits.declaresTooMuch(request)) throw this.limits.tooLarge();
    const slot = this.gate.enter(request.user.id);
    if ('refused' in slot) {
      const { scope, retryAfterSeconds: retryAfter } = slot.refused;
      throw scope === 'user'
        ? new HttpException(
            { message: `Too many uploads in progress for this user; try again in ${retryAfter} s`, retryAfter },
            HttpStatus.TOO_MANY_REQUESTS,
          )
        : new HttpException(
            { message: `The server has too many uploads in progress; try again in ${retryAfter} s`, retryAfter },
            HttpStatus.SERVICE_UNAVAILABLE,
          );
    }
    // Held until the connection is done with this request (a 413 may still be discarding its body) AND the
    // handler is done with its decode: a client that disconnects does not free the slot while its decode runs.
    let holders = 2;
    const release = () => {
      if (--holders === 0) slot.release();
    };
    response.once('close', release);
    const removeSpooled = () => this.spool.remove((request as { file?: { path?: string } }).file?.path);

    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof PayloadTooLargeException) throw this.limits.tooLarge();
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
      finalize(release),
    );
  }
}
