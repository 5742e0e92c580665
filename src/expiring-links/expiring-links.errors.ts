import { DomainError } from '../common/domain-error.js';

/** Too many expiring links made for one image in the last hour (429 with Retry-After). */
export class TooManyExpiringLinksError extends DomainError {
  readonly kind = 'rate-limited';
  constructor(
    message: string,
    override readonly retryAfter: number,
  ) {
    super(message);
  }
}
