import './admin-env.js'; // before adminjs
import { Resource } from '@adminjs/typeorm';
import { type ActionContext, ValidationError } from 'adminjs';
import type { BaseEntity } from 'typeorm';

export interface ResourceExtras {
  /** Replaces the plain row delete (images: the stored files go too; users: their images first). */
  delete?: (id: string, context?: ActionContext) => Promise<void>;
  /** Shown when a delete hits a foreign key: other rows still refer to this one. */
  inUseMessage?: string;
}

interface PgError {
  code?: string;
  detail?: string;
  column?: string;
}

const FORM_MESSAGE = { message: 'Please fix the form errors.' };

/**
 * Turns a PostgreSQL error into what AdminJS shows on the form (a ValidationError), or returns it unchanged
 * when it is not about the submitted values (then it is a real 500).
 */
export function toValidationError(error: unknown, inUseMessage?: string): unknown {
  if (!(error instanceof Error) || error.name !== 'QueryFailedError') return error;
  const pg = ((error as { driverError?: PgError }).driverError ?? error) as PgError;
  const keyColumn = /^Key \(("?)([^)"]+)\1\)=/.exec(pg.detail ?? '')?.[2];
  const field = (path: string | undefined, message: string) =>
    path
      ? new ValidationError({ [path]: { type: 'invalid', message } }, FORM_MESSAGE)
      : new ValidationError({}, { message });
  switch (pg.code) {
    case '23505': // unique_violation (a race with another save: the before hooks check first)
      return field(keyColumn, `Another record already has this ${keyColumn ?? 'value'}.`);
    case '23503': // foreign_key_violation
    case '23001': // restrict_violation (ON DELETE RESTRICT, PostgreSQL 18)
      return pg.code === '23001' || /is (still )?referenced/.test(pg.detail ?? '')
        ? new ValidationError({}, { message: inUseMessage ?? 'Other records still refer to this one.' })
        : field(keyColumn, 'The selected record does not exist (any more).');
    case '23502': // not_null_violation
      return field(pg.column, 'Required.');
    case '23514': // check_violation
    case '22003': // numeric_value_out_of_range
      return new ValidationError({}, { message: 'A value is out of the allowed range.' });
    case '22P02': // invalid_text_representation
    case '22001': // string_data_right_truncation
      return new ValidationError({}, { message: 'A value has the wrong format or is too long.' });
    default:
      return error;
  }
}

/**
 * @adminjs/typeorm's Resource, with two fixes: database errors on save become form errors (the adapter keys
 * them by an undefined column, and silently swallows every other error), and delete can be replaced.
 * Passed to AdminJS as instances, so no adapter is registered globally.
 */
export class TypeormResource extends Resource {
  private readonly entity: typeof BaseEntity;
  private readonly extras: ResourceExtras;

  constructor(entity: typeof BaseEntity, extras: ResourceExtras = {}) {
    super(entity);
    this.entity = entity;
    this.extras = extras;
  }

  override async validateAndSave(instance: BaseEntity): Promise<void> {
    try {
      await instance.save();
    } catch (error) {
      throw toValidationError(error);
    }
  }

  override async delete(pk: string | number, context?: ActionContext): Promise<void> {
    try {
      if (this.extras.delete) await this.extras.delete(String(pk), context);
      else await this.entity.getRepository().delete({ [this.idName()]: pk });
    } catch (error) {
      throw toValidationError(error, this.extras.inUseMessage);
    }
  }
}
