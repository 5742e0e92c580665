import { DomainError } from '../common/domain-error.js';

/** Not an image at all, or a broken, truncated or oversized one. */
export class InvalidImageError extends DomainError {
  readonly kind = 'invalid';
}

/** A real image in a format the service does not take (GIF, WebP, SVG, …). */
export class UnsupportedImageError extends DomainError {
  readonly kind = 'unsupported';
}
