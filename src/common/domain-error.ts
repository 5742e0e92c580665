import { HttpStatus } from '@nestjs/common';

/** A failure the client can fix or must be told about; the exception filter maps `status` to the response. */
export class DomainError extends Error {
  constructor(
    readonly status: HttpStatus,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Not an image at all, or a broken, truncated or oversized one: 400. */
export class InvalidImageError extends DomainError {
  constructor(message: string) {
    super(HttpStatus.BAD_REQUEST, message);
  }
}

/** A real image in a format the service does not take: 415. */
export class UnsupportedImageError extends DomainError {
  constructor(message: string) {
    super(HttpStatus.UNSUPPORTED_MEDIA_TYPE, message);
  }
}
