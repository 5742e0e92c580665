import { DomainError } from '../common/domain-error.js';

/** Not a link this service made (malformed path or token), or one whose image or row is gone. */
export class LinkNotFoundError extends DomainError {
  readonly kind = 'not-found';
  constructor(message = 'No such link') {
    super(message);
  }
}

/** Well-formed, but the signature does not match: edited or made up. */
export class LinkForgedError extends DomainError {
  readonly kind = 'forbidden';
  constructor() {
    super('The link signature is not valid');
  }
}

export class LinkExpiredError extends DomainError {
  readonly kind = 'gone';
  constructor(expiresAt: Date) {
    super(`This link expired at ${expiresAt.toISOString()}`);
  }
}

export class LinkRevokedError extends DomainError {
  readonly kind = 'gone';
  constructor() {
    super('This link was revoked');
  }
}
