import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import { loadConfigOrExit } from './config/config.js';
import { createNestLogger } from './observability/logging.js';
import { limitHeapGrowth } from './server/heap-growth.js';

/**
 * `node dist/main.js` (npm start, the image): WEB_CONCURRENCY server processes (default: the machine's available
 * parallelism). With 1, this process is the server; with more, it is the cluster primary (src/server/primary.ts)
 * and forks the workers, which run this file again. The application is imported only where it runs, so the
 * primary stays small.
 */
async function main(): Promise<void> {
  limitHeapGrowth();
  const config = loadConfigOrExit();
  Logger.overrideLogger(createNestLogger(config));
  if (cluster.isWorker) {
    const { serve } = await import('./server/serve.js');
    return serve(config.with({ databaseReady: true, metricsPort: undefined }), 'worker');
  }
  if (config.webConcurrency > 1) {
    const { runPrimary } = await import('./server/primary.js');
    return runPrimary(config);
  }
  const { serve } = await import('./server/serve.js');
  return serve(config, 'single');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
