import { DomainError } from '../common/domain-error.js';

export class UnknownTierError extends DomainError {
  readonly kind = 'invalid';
  constructor(name: string, known: string[]) {
    super(`Unknown tier "${name}"; known tiers: ${known.join(', ')}`);
  }
}

export class UsernameTakenError extends DomainError {
  readonly kind = 'conflict';
  constructor(username: string) {
    super(`A user named "${username}" already exists.`);
  }
}

/** A user cannot be deleted while they own images (their images go first, through the image service). */
export class UserHasImagesError extends DomainError {
  readonly kind = 'conflict';
  constructor() {
    super('The user still owns images; delete those first.');
  }
}

export class InvalidUsernameError extends DomainError {
  readonly kind = 'invalid';
}

export class InvalidPasswordError extends DomainError {
  readonly kind = 'invalid';
}
