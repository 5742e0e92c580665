import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createNestLogger as createLogger } from '../observability/logging.js';
import { exitOnShutdownSignal } from '../common/shutdown-signals.js';
import { loadConfigOrExit } from '../config/config.js';
import { resolveDatabase } from '../database/resolve-database.js';
import { QUEUE_NAME } from '../jobs/bullmq-job-queue.js';
import { limitHeapGrowth } from '../server/heap-growth.js';
import { WorkerModule } from './worker.module.js';

/**
 * `npm run start:worker`: makes thumbnails from the BullMQ queue (REDIS_URL), with the API's variables and no
 * HTTP port. SIGTERM or SIGINT: takes no new job, finishes the running ones, exits 0.
 */
async function main(): Promise<void> {
  limitHeapGrowth();
  let config = loadConfigOrExit();
  const queue = config.queue;
  if (!queue) {
    console.error('REDIS_URL is required for a worker (without it the API makes thumbnails in its own process)');
    process.exit(1);
  }
  Logger.overrideLogger(createLogger(config));
  const logger = new Logger('Worker');

  // Without DATABASE_URL: the embedded PostgreSQL of the API server running on this DATA_DIR, as the CLI does.
  // A worker never starts (and so never owns) that database: stopping the worker must not stop the API's.
  const database = await resolveDatabase(config, undefined, { reuseOnly: true }).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
  config = database.config;

  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), {
    logger: createLogger(config),
    abortOnError: false,
  });
  logger.log(`Worker ready: queue "${QUEUE_NAME}" under prefix "${queue.prefix}", ${queue.concurrency} at a time`);

  exitOnShutdownSignal(
    (message) => logger.log(message),
    'finishing running jobs, then exiting',
    async () => {
      await app.close();
      await database.close();
    },
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
