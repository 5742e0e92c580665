import { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions.js';
import { underStartupLock } from './startup-lock.js';

/**
 * Runs pending migrations under the start-up lock, so that several instances starting at once migrate
 * exactly once (the others wait, then find nothing to do). They run on a connection of their own, without
 * the application's statement timeout: a migration may rewrite or index a large table.
 */
export async function migrate(options: PostgresConnectionOptions): Promise<void> {
  const { connectionTimeoutMillis } = options.extra as { connectionTimeoutMillis: number };
  await underStartupLock(options.url!, connectionTimeoutMillis, async () => {
    const migrator = await new DataSource({
      ...options,
      entities: [], // migrations are SQL: no entity metadata to build a second time
      migrationsRun: false,
      extra: { max: 1, application_name: 'image-api migrations', connectionTimeoutMillis, keepAlive: true },
    }).initialize();
    try {
      await migrator.runMigrations({ transaction: 'each' });
    } finally {
      await migrator.destroy();
    }
  });
}
