import type { DataSource } from 'typeorm';

// Any constant works; it only has to be the same for every instance of this application.
const MIGRATION_LOCK = 7_319_004_211;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so that several instances starting at once
 * migrate exactly once (the others wait, then find nothing to do).
 */
export async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    // Waiting for another instance's migrations, and the migrations themselves, may take longer than a request.
    await runner.query('SET statement_timeout = 0; SET lock_timeout = 0; SET idle_in_transaction_session_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
