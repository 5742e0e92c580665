export interface DatabaseTimeouts {
  /** Opening a connection, or waiting for one from the pool. */
  connectMs: number;
  /** One statement, on the server (statement_timeout); the client gives up a second later (query_timeout). */
  statementMs: number;
  /** Waiting for a row or table lock (lock_timeout). */
  lockMs: number;
}

export const DEFAULT_TIMEOUTS: DatabaseTimeouts = { connectMs: 3000, statementMs: 5000, lockMs: 3000 };

/**
 * node-postgres settings that make an unreachable, stopped or frozen (SIGSTOP) PostgreSQL an error within
 * seconds instead of a hang: the server-side timeouts are sent as startup parameters; query_timeout is the
 * client's own clock, for a server that cannot even run its timers; keepAlive finds dead peers.
 */
export function pgClientTimeouts(t: DatabaseTimeouts = DEFAULT_TIMEOUTS) {
  return {
    connectionTimeoutMillis: t.connectMs,
    statement_timeout: t.statementMs,
    lock_timeout: t.lockMs,
    idle_in_transaction_session_timeout: Math.max(t.statementMs * 2, 30_000),
    query_timeout: t.statementMs + 1000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}
