import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../app.factory.js';
import { exitOnShutdownSignal } from '../common/shutdown-signals.js';
import type { AppConfig } from '../config/config.js';
import { resolveDatabase, type ResolvedDatabase } from '../database/resolve-database.js';
import { shareMetricsWithPrimary } from '../observability/cluster-metrics.js';
import { Metrics } from '../observability/metrics.js';
import { collectStartupGarbage } from './startup-garbage.js';

/**
 * One server process: the whole application on PORT. `single` (WEB_CONCURRENCY=1) starts or reuses the
 * embedded PostgreSQL itself and stops it on exit; a cluster `worker` was handed a prepared database by its
 * primary (which owns it, and the metrics endpoint) and only answers requests.
 * SIGTERM or SIGINT: stop taking connections, finish the requests in flight, exit 0.
 */
export async function serve(config: AppConfig, role: 'single' | 'worker'): Promise<void> {
  const logger = new Logger(role === 'worker' ? `Worker ${process.pid}` : 'Main');
  const database: ResolvedDatabase =
    role === 'worker'
      ? { config, close: async () => undefined }
      : await resolveDatabase(config, (message) => logger.log(message));
  config = database.config;

  const shareMetrics = role === 'worker' ? shareMetricsWithPrimary() : undefined;
  let app: NestExpressApplication | undefined;
  try {
    app = await createApp(config);
    shareMetrics?.(app.get(Metrics));
    await app.listen(config.port);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await database.close();
    throw error;
  }
  collectStartupGarbage();
  if (role === 'single') logger.log(`Listening on ${config.publicUrl} (port ${config.port}, one process)`);
  else logger.log(`Listening on port ${config.port}`);

  exitOnShutdownSignal(
    (message) => logger.log(message),
    'shutting down',
    async () => {
      await app.close();
      await database.close();
    },
  );
}
