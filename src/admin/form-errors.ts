import './admin-env.js'; // before adminjs
import { ValidationError } from 'adminjs';
import { InvalidCredentialsError } from '../auth/auth.errors.js';
import { DomainError } from '../common/domain-error.js';
import {
  HeightTakenError,
  InvalidHeightError,
  InvalidTierError,
  TierNameTakenError,
  UnknownSizeError,
} from '../tiers/tiers.errors.js';
import {
  InvalidPasswordError,
  InvalidUsernameError,
  UnknownTierError,
  UsernameTakenError,
} from '../users/users.errors.js';

const FORM_MESSAGE = { message: 'Please fix the form errors.' };

/** The form field each domain error belongs under; errors not listed show as the form's message. */
const FIELD_OF = new Map<abstract new (...args: never[]) => DomainError, string>([
  [InvalidUsernameError, 'username'],
  [UsernameTakenError, 'username'],
  [InvalidPasswordError, 'password'],
  [UnknownTierError, 'tierId'],
  [InvalidTierError, 'name'],
  [TierNameTakenError, 'name'],
  [UnknownSizeError, 'sizeIds'],
  [InvalidHeightError, 'height'],
  [HeightTakenError, 'height'],
]);

/** A form error under one field. */
export function fieldError(path: string, message: string): ValidationError {
  return new ValidationError({ [path]: { type: 'invalid', message } }, FORM_MESSAGE);
}

/**
 * What the panel shows for an error a service threw: a domain error becomes a form error (under its field
 * when it has one); anything else is left as it is (a real failure).
 */
export function toFormError(error: unknown): unknown {
  if (!(error instanceof DomainError) || error instanceof InvalidCredentialsError) return error;
  for (const [type, field] of FIELD_OF) if (error instanceof type) return fieldError(field, error.message);
  return new ValidationError({}, { message: error.message });
}
