import { BadRequestException, HttpStatus, NotFoundException } from '@nestjs/common';
import { DomainError, type ErrorKind } from './domain-error.js';
import { errorAnswer, STATUS_BY_KIND } from './http-exception.filter.js';

class Named extends DomainError {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    override readonly retryAfter?: number,
  ) {
    super(message);
  }
}

describe('errorAnswer: the one table from domain errors to responses', () => {
  it.each([
    ['invalid', 400, 'Bad Request'],
    ['unauthenticated', 401, 'Unauthorized'],
    ['forbidden', 403, 'Forbidden'],
    ['not-found', 404, 'Not Found'],
    ['gone', 410, 'Gone'],
    ['conflict', 409, 'Conflict'],
    ['unsupported', 415, 'Unsupported Media Type'],
    ['rate-limited', 429, 'Too Many Requests'],
    ['unavailable', 503, 'Service Unavailable'],
  ] as const)('%s → %i', (kind, statusCode, error) => {
    expect(STATUS_BY_KIND[kind]).toBe(statusCode);
    expect(errorAnswer(new Named(kind, 'what to fix'))).toEqual({ statusCode, error, message: 'what to fix' });
  });

  it('carries retryAfter for the client and the Retry-After header', () => {
    expect(errorAnswer(new Named('rate-limited', 'slow down', 42))).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'slow down',
      retryAfter: 42,
    });
  });

  it('passes Nest HTTP exceptions through, joining validation messages', () => {
    expect(errorAnswer(new BadRequestException(['a is wrong', 'b is wrong']))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'a is wrong; b is wrong',
    });
    expect(errorAnswer(new NotFoundException('No route'))).toMatchObject({ statusCode: 404, message: 'No route' });
  });

  it('maps body-parser errors by their status and type', () => {
    const parse = Object.assign(new Error('Unexpected token'), { status: 400, type: 'entity.parse.failed' });
    expect(errorAnswer(parse)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'The request body is not valid JSON',
    });
  });

  it('tells nothing about unexpected errors: no message, no stack, no SQL', () => {
    const answer = errorAnswer(new Error('relation "users" does not exist at /srv/app/x.ts:1'));
    expect(answer).toEqual({
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'Internal Server Error',
      message: 'Something went wrong on our side; the request can be retried',
    });
    expect(errorAnswer(Object.assign(new Error('x'), { status: 503 })).statusCode).toBe(500);
    expect(errorAnswer(undefined).statusCode).toBe(500);
  });
});
