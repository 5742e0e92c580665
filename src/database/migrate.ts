import type { DataSource } from 'typeorm';
import { underStartupLock } from './startup-lock.js';

/**
 * Runs pending migrations under the start-up lock, so that several instances starting at once migrate
 * exactly once (the others wait, then find nothing to do).
 */
export async function migrate(dataSource: DataSource): Promise<void> {
  await underStartupLock(dataSource, () => dataSource.runMigrations({ transaction: 'each' }));
}
