import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './database-unavailable.js';
import { DomainError, type ErrorKind } from './domain-error.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/** The one table from the domain's error kinds to HTTP status codes. */
export const STATUS_BY_KIND: Record<ErrorKind, HttpStatus> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  'not-found': HttpStatus.NOT_FOUND,
  gone: HttpStatus.GONE,
  conflict: HttpStatus.CONFLICT,
  unsupported: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  'rate-limited': HttpStatus.TOO_MANY_REQUESTS,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

type Answer = ErrorBody & { retryAfter?: number } & Record<string, unknown>;

const answer = (statusCode: number, message: string, extra: Record<string, unknown> = {}): Answer => ({
  ...extra,
  statusCode,
  error: STATUS_CODES[statusCode] ?? 'Error',
  message,
});

/**
 * What the client is told about any error: a DomainError by its kind, Nest's HTTP exceptions (validation, the
 * edges' own 4xx) as they are, Express middleware errors by their status, anything else a bare 500 with no
 * stack trace, SQL or file path.
 */
export function errorAnswer(exception: unknown): Answer {
  // PostgreSQL unreachable, gone or frozen (whatever layer the error came through): retry shortly.
  if (isDatabaseUnavailable(exception)) {
    const unavailable = new DatabaseUnavailableError();
    return answer(STATUS_BY_KIND[unavailable.kind], unavailable.message, { retryAfter: unavailable.retryAfter });
  }
  if (exception instanceof DomainError) {
    const extra = exception.retryAfter !== undefined ? { retryAfter: exception.retryAfter } : {};
    return answer(STATUS_BY_KIND[exception.kind], exception.message, extra);
  }
  // Nest wraps body-parser's errors in an HttpException whose message repeats the body ("Unexpected token
  // 'n', "null" is not valid JSON"): answer from the cause's type instead.
  if (exception instanceof HttpException && (exception.cause as { type?: unknown } | undefined)?.type) {
    return errorAnswer(exception.cause);
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const payload = exception.getResponse();
    // Extra fields a thrower chose to add (the health check's per-dependency details) stay.
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
    return answer(statusCode, message, extra);
  }
  // Errors raised by Express middleware (body parser) carry a 4xx status of their own.
  const status = (exception as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const type = (exception as { type?: string }).type;
    const message =
      type === 'entity.parse.failed'
        ? 'The request body is not valid JSON'
        : type === 'entity.too.large'
          ? 'The request body is too large'
          : (STATUS_CODES[status] ?? 'Bad request');
    return answer(status, message);
  }
  return answer(HttpStatus.INTERNAL_SERVER_ERROR, 'Something went wrong on our side; the request can be retried');
}

/**
 * The one error writer: an error answer on a plain node:http response (the filter, the /media handler, the
 * upload edge's early 413). `end: false` writes it all but leaves the response open (the upload edge ends it
 * once the rest of the body is discarded).
 */
export function writeErrorAnswer(response: ServerResponse, body: Answer, { end = true } = {}): void {
  if (typeof body.retryAfter === 'number') response.setHeader('Retry-After', String(body.retryAfter));
  const json = JSON.stringify(body);
  response.statusCode = body.statusCode;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(json));
  if (end) response.end(json);
  else response.write(json);
}

/** Every error leaves as JSON {statusCode, error, message}; unexpected ones are logged with their stack. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<ServerResponse>();
    const requestId = host.switchToHttp().getRequest<{ id?: string }>().id ?? '-';
    const body = errorAnswer(exception);
    if (body.statusCode === HttpStatus.SERVICE_UNAVAILABLE && !(exception instanceof HttpException)) {
      this.logger.warn(
        `[${requestId}] Database unavailable: ${exception instanceof Error ? exception.message : String(exception)}`,
      );
    } else if (body.statusCode >= 500 && !(exception instanceof DomainError) && !(exception instanceof HttpException)) {
      this.logger.error(
        `[${requestId}] ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
      );
    }
    if (response.headersSent) {
      // Already answered (the upload edge's early 413): leave it. Cut off mid-stream: close.
      if (!response.writableEnded) response.destroy();
      return;
    }
    writeErrorAnswer(response, body);
  }
}
