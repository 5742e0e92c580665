import { Logger } from '@nestjs/common';
import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { AppConfig } from '../config/config.js';
import { prepareDatabase } from '../database/prepare-database.js';
import { resolveDatabase } from '../database/resolve-database.js';
import { startClusterMetricsServer } from '../observability/cluster-metrics.js';
import { RestartPolicy } from './restart-policy.js';
import { collectStartupGarbage } from './startup-garbage.js';

/** How long a worker may take to finish its requests after SIGTERM before it is killed. */
const WORKER_STOP_MS = 30_000;

/**
 * WEB_CONCURRENCY > 1: this process is the cluster primary. It serves no request itself: it starts (or reuses)
 * the one embedded PostgreSQL, runs the migrations and the seed, serves the aggregated /metrics, then forks the
 * workers (node:cluster: they share PORT, the primary hands out connections round-robin), replaces a worker
 * that dies (see RestartPolicy), and on SIGTERM/SIGINT stops every worker before the database.
 */
export async function runPrimary(config: AppConfig): Promise<void> {
  const logger = new Logger('Primary');
  const database = await resolveDatabase(config, (message) => logger.log(message));
  /** Workers that have started listening (so their metrics are registered): what a scrape asks. */
  const serving = new Set<Worker>();
  let metrics: Awaited<ReturnType<typeof startClusterMetricsServer>> | undefined;
  try {
    await prepareDatabase(database.config);
    if (config.metricsPort !== undefined) {
      metrics = await startClusterMetricsServer(config.metricsPort, config.metricsHost, () => [...serving]);
      logger.log(`Prometheus metrics of all workers on http://${config.metricsHost}:${metrics.server.port}/metrics`);
    }
  } catch (error) {
    await metrics?.server.close();
    await database.close();
    throw error;
  }

  collectStartupGarbage(); // what preparing the database left (Nest, TypeORM): the primary idles from here on

  // The workers read the same environment (so the same generated secrets) plus the resolved database.
  const workerEnv = { DATABASE_URL: database.config.databaseUrl };
  const policy = new RestartPolicy();
  let stopping = false;
  const fork = () => {
    cluster.fork(workerEnv);
    metrics?.record.workerStarted();
  };

  const stop = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => !!worker);
    logger.log(`${reason}: stopping ${workers.length} workers`);
    await Promise.all(workers.map(stopWorker));
    await metrics?.server.close();
    await database.close();
    process.exit(code);
  };

  cluster.on('exit', (worker, code, signal) => {
    serving.delete(worker);
    metrics?.record.workerExited();
    if (stopping) return;
    const delay = policy.onDeath();
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (delay === null) {
      logger.error(`Worker ${worker.process.pid} exited (${how}): too many workers died in a row, stopping`);
      void stop('Crash loop', 1);
      return;
    }
    logger.warn(`Worker ${worker.process.pid} exited (${how}); starting a new one`);
    setTimeout(() => {
      if (stopping) return;
      fork();
      metrics?.record.workerReplaced();
    }, delay).unref();
  });
  let announced = false;
  cluster.on('listening', (worker) => {
    serving.add(worker);
    if (announced || serving.size < config.webConcurrency) return;
    announced = true;
    logger.log(`Listening on ${config.publicUrl} (port ${config.port}, ${config.webConcurrency} workers)`);
  });
  for (let i = 0; i < config.webConcurrency; i++) fork();

  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
}

/** SIGTERM (the worker drains and exits), then SIGKILL if it is still there after WORKER_STOP_MS. */
async function stopWorker(worker: Worker): Promise<void> {
  if (worker.isDead()) return;
  const exited = once(worker, 'exit');
  worker.process.kill('SIGTERM');
  const timer = setTimeout(() => worker.process.kill('SIGKILL'), WORKER_STOP_MS);
  await exited;
  clearTimeout(timer);
}
