import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { catchError, type Observable } from 'rxjs';
import { AppConfig } from '../config/config.js';

// Room for the multipart envelope and the text fields around the file.
const ENVELOPE_BYTES = 64 * 1024;

/**
 * Refuses an upload whose declared Content-Length is already too large before a byte of the body is read
 * (the multipart parser enforces the exact limit while streaming). The 413 goes out as a response; the
 * connection is closed after it so that the rest of the body is not read.
 */
@Injectable()
export class UploadLimitInterceptor implements NestInterceptor {
  constructor(private readonly config: AppConfig) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.config.maxUploadBytes + ENVELOPE_BYTES) {
      context.switchToHttp().getResponse<Response>().setHeader('Connection', 'close');
      throw new PayloadTooLargeException(tooLarge(this.config.maxUploadBytes));
    }
    // The parser's own 413 ("File too large") gets the same, more useful message.
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof PayloadTooLargeException)
          throw new PayloadTooLargeException(tooLarge(this.config.maxUploadBytes));
        throw error;
      }),
    );
  }
}

export const tooLarge = (max: number) => `The file is larger than the limit of ${max} bytes`;
