import type { AppConfig } from '../config/config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface ResolvedDatabase {
  /** The configuration with databaseUrl set. */
  config: AppConfig;
  /** Stops the embedded PostgreSQL this process started (nothing for DATABASE_URL or a reused cluster). */
  close(): Promise<void>;
}

/**
 * The one start-up step every process shares (server, CLI, worker): with DATABASE_URL, use it; without, start
 * (or reuse the running server's) embedded PostgreSQL under DATA_DIR and point the configuration at it.
 * `reuseOnly`: never start one (a worker: stopping it must not stop the API's database).
 */
export async function resolveDatabase(
  config: AppConfig,
  log?: (message: string) => void,
  options: { reuseOnly?: boolean } = {},
): Promise<ResolvedDatabase> {
  if (config.databaseUrl) return { config, close: async () => undefined };
  const database = await startEmbeddedPostgres(config.dataDir, log, options);
  return { config: config.with({ databaseUrl: database.url }), close: () => database.close() };
}
