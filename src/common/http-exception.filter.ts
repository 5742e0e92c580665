import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { databaseUnavailableResponse } from '../database/database-unavailable.js';
import { DomainError } from './domain-error.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/**
 * Every error leaves as JSON {statusCode, error, message}. Unexpected errors are logged with their stack
 * and answered with a bare 500: no stack trace, no SQL, no file path reaches the client.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    // PostgreSQL unreachable, gone or frozen: 503 with Retry-After, a warning rather than a stack trace.
    const unavailable = databaseUnavailableResponse(exception);
    const body = unavailable ?? this.toBody(exception);
    if (unavailable) {
      this.logger.warn(`Database unavailable: ${exception instanceof Error ? exception.message : String(exception)}`);
    } else if (body.statusCode >= 500 && !(exception instanceof HttpException && body.statusCode === 503)) {
      // (A deliberate 503, the health check's, is no bug: its request line says enough.)
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (response.headersSent) {
      // Already answered (an early 413 while the body kept coming): leave it. Cut off mid-stream: close.
      if (!response.writableEnded) response.destroy();
      return;
    }
    if (typeof body.retryAfter === 'number') response.setHeader('Retry-After', String(body.retryAfter));
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ErrorBody & Record<string, unknown> {
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const payload = exception.getResponse();
      // Extra fields a thrower chose to add (retryAfter; the health check's per-dependency details) stay.
      const {
        message: raw,
        error: _error,
        statusCode: _status,
        ...extra
      } = typeof payload === 'string' ? { message: payload } : (payload as Record<string, unknown>);
      const message = Array.isArray(raw)
        ? raw.join('; ')
        : typeof raw === 'string'
          ? raw
          : statusCode === HttpStatus.SERVICE_UNAVAILABLE
            ? 'A dependency is down; see details'
            : exception.message;
      return { ...extra, statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
    }
    if (exception instanceof DomainError) {
      return {
        statusCode: exception.status,
        error: STATUS_CODES[exception.status] ?? 'Error',
        message: exception.message,
      };
    }
    // Errors raised by Express middleware (body parser) carry a 4xx status of their own.
    const status = (exception as { status?: unknown; type?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const type = (exception as { type?: string }).type;
      const message =
        type === 'entity.parse.failed'
          ? 'The request body is not valid JSON'
          : type === 'entity.too.large'
            ? 'The request body is too large'
            : (STATUS_CODES[status] ?? 'Bad request');
      return { statusCode: status, error: STATUS_CODES[status] ?? 'Error', message };
    }
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'Internal Server Error',
      message: 'Something went wrong on our side; the request can be retried',
    };
  }
}
