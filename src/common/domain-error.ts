/**
 * What went wrong, in the domain's words. Services and domain code throw named subclasses of DomainError and
 * never an HTTP exception; the edges translate the kind: the exception filter to a status code (one table in
 * http-exception.filter.ts), the admin panel to a form message.
 */
export type ErrorKind =
  | 'invalid' // the request's content is wrong: fix the field or the file
  | 'unauthenticated' // no, bad or expired credentials
  | 'forbidden' // allowed for somebody, not for this caller or plan
  | 'not-found' // missing, or somebody else's
  | 'gone' // existed, ended for good (expired or revoked link)
  | 'conflict' // clashes with what exists (a name taken)
  | 'too-large' // over a size limit (the server's or the plan's)
  | 'unsupported' // a media type the service does not take
  | 'rate-limited' // too many attempts; retry later
  | 'unavailable'; // a dependency is down; retry later

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  /** Seconds after which retrying makes sense (rate-limited, unavailable). */
  readonly retryAfter?: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request value that is not acceptable (the generic 'invalid': a malformed cursor, an unknown tier, …). */
export class InvalidInputError extends DomainError {
  readonly kind = 'invalid';
}
