import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from './domain-error.js';

/** Seconds a client is told to wait (Retry-After) when PostgreSQL is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that is going away, not accepting connections, or not answering in time:
 * connection exceptions (08xxx), admin/crash shutdown and cannot-connect-now (57P01..57P03), too many
 * connections (53300), statement timeout (57014) and lock timeout (55P03).
 */
const UNAVAILABLE_STATES = /^(08...|57P0[123]|53300|57014|55P03)$/;

const MESSAGES = [
  /^Connection terminated/i, // "… unexpectedly", "… due to connection timeout"
  /timeout exceeded when trying to connect/i,
  /^Query read timeout$/i,
  /is not queryable/i, // a client that had a connection error, or was closed
  /^Client has encountered a connection error/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

/**
 * True when an error (pg's, or TypeORM's wrapping of one) says PostgreSQL is unreachable, gone, frozen or
 * too slow to answer, rather than that the request was wrong: such a request is answered 503.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  if (error instanceof CommitOutcomeUnknownError) return true;
  const e = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || UNAVAILABLE_STATES.test(e.code))) return true;
  if (typeof e.message === 'string' && MESSAGES.some((re) => re.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.driverError, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1);
}

/** What a request that needed PostgreSQL while it was unreachable is told (the filter maps any such error here). */
export class DatabaseUnavailableError extends DomainError {
  readonly kind = 'unavailable';
  override readonly retryAfter = DATABASE_RETRY_AFTER_SECONDS;
  constructor() {
    super('The database is unreachable right now; retry in a few seconds');
  }
}

/** A COMMIT was sent but no answer came: the transaction may or may not have been committed. */
export class CommitOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super(`The database did not answer the commit: ${String((cause as Error)?.message ?? cause)}`, { cause });
    this.name = 'CommitOutcomeUnknownError';
  }
}

/**
 * Runs `work` in a transaction on a connection of its own, for writes that must happen entirely or not at
 * all even when PostgreSQL freezes mid-way. On any failure the connection is destroyed rather than returned
 * to the pool: a statement that a frozen server has not executed yet then dies with its transaction when the
 * server resumes (it finds the connection closed, so it never sees a COMMIT). Only a failed COMMIT is
 * ambiguous, reported as CommitOutcomeUnknownError.
 */
export async function transactionOrNothing<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  // TypeORM's pg query runner hands `err` to pg-pool's release, which then ends the client for good.
  const destroy = (error: unknown) =>
    (runner as unknown as { releasePostgresConnection?: (e: unknown) => Promise<void> }).releasePostgresConnection?.(
      error,
    ) ?? runner.release();
  let result: T;
  try {
    await runner.connect();
    await runner.startTransaction();
    result = await work(runner.manager);
  } catch (error) {
    await destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  try {
    await runner.commitTransaction();
  } catch (error) {
    await destroy(error instanceof Error ? error : new Error(String(error)));
    // An answer (a deferred constraint, say) means it failed; no answer means nobody knows.
    throw isDatabaseUnavailable(error) ? new CommitOutcomeUnknownError(error) : error;
  }
  await runner.release();
  return result;
}
