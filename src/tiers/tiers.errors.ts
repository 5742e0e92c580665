import { DomainError } from '../common/domain-error.js';

export class InvalidTierError extends DomainError {
  readonly kind = 'invalid';
}

export class TierNameTakenError extends DomainError {
  readonly kind = 'conflict';
  constructor(name: string) {
    super(`A tier named "${name}" already exists.`);
  }
}

export class TierInUseError extends DomainError {
  readonly kind = 'conflict';
  constructor(users?: number) {
    const who = users === undefined ? 'Users are' : users === 1 ? '1 user is' : `${users} users are`;
    super(`${who} still on this tier: move them to another tier first.`);
  }
}

export class UnknownSizeError extends DomainError {
  readonly kind = 'invalid';
  constructor() {
    super('A selected size no longer exists.');
  }
}

export class InvalidHeightError extends DomainError {
  readonly kind = 'invalid';
}

export class HeightTakenError extends DomainError {
  readonly kind = 'conflict';
  constructor(height: number) {
    super(`A size with height ${height} already exists.`);
  }
}
