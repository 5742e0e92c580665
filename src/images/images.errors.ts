import { DomainError } from '../common/domain-error.js';

/** Missing, or somebody else's: the two are not told apart. */
export class ImageNotFoundError extends DomainError {
  readonly kind = 'not-found';
  constructor() {
    super('No such image');
  }
}
