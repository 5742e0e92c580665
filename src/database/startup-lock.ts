import pg from 'pg';

// Any constant works; it only has to be the same for every instance of this application.
export const STARTUP_LOCK = 7_319_004_211;

/**
 * Runs `work` while holding a PostgreSQL advisory lock that every instance takes for its start-up writes
 * (migrations, then the seed), so that several instances starting at once on one database take turns:
 * the first does the work, the others wait, then find nothing left to do. The lock is held on a connection
 * of its own, outside the application's pool and without its query timeouts: another instance's migrations
 * may take minutes, and no pooled connection is left with changed settings.
 */
export async function underStartupLock<T>(databaseUrl: string, connectMs: number, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: connectMs,
    keepAlive: true,
    application_name: 'image-api start-up',
  });
  client.on('error', () => undefined); // a lost connection fails the query waiting on it
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [STARTUP_LOCK]);
    return await work();
  } finally {
    await client.end().catch(() => undefined); // the session ends, and its lock with it
  }
}
