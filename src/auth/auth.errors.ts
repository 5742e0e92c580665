import { DomainError } from '../common/domain-error.js';

/** Unknown user, wrong password, or (admin panel) not an administrator: one answer for all three. */
export class InvalidCredentialsError extends DomainError {
  readonly kind = 'unauthenticated';
  constructor() {
    super('Wrong username or password');
  }
}

export class InvalidTokenError extends DomainError {
  readonly kind = 'unauthenticated';
}

export class TooManyLoginAttemptsError extends DomainError {
  readonly kind = 'rate-limited';
  constructor(
    message: string,
    override readonly retryAfter: number,
  ) {
    super(message);
  }
}
