import type { DataSource } from 'typeorm';

// Any constant works; it only has to be the same for every instance of this application.
const STARTUP_LOCK = 7_319_004_211;

/**
 * Runs `work` while holding a PostgreSQL advisory lock that every instance takes for its start-up writes
 * (migrations, then the seed), so that several instances starting at once on one database take turns:
 * the first does the work, the others wait, then find nothing left to do.
 */
export async function underStartupLock<T>(dataSource: DataSource, work: () => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    // Waiting for another instance, and migrations themselves, may take longer than a request may.
    await runner.query('SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [STARTUP_LOCK]);
    return await work();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [STARTUP_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
