import type { Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { Metrics } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

// prom-client's cluster protocol (lib/cluster.js): the worker side answers these over the IPC channel.
const GET_METRICS_REQ = 'prom-client:getMetricsReq';
const GET_METRICS_RES = 'prom-client:getMetricsRes';
/** A worker that has not answered within this long is left out of that scrape. */
const WORKER_ANSWER_MS = 2_000;

/**
 * In a node:cluster worker, first thing: answer the primary's requests for this process's metrics, with nothing
 * while the application starts, then with the application's registry once the returned function is called.
 */
export function shareMetricsWithPrimary(): (metrics: Metrics) => void {
  new AggregatorRegistry(); // installs the worker's IPC listener (once per process)
  AggregatorRegistry.setRegistries([new Registry()]);
  return (metrics) => AggregatorRegistry.setRegistries([metrics.registry]);
}

/** What a cluster primary records about its workers. */
export interface PrimaryMetrics {
  workerStarted(): void;
  workerExited(): void;
  workerReplaced(): void;
}

type JsonMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

let nextRequestId = 0;

/** One worker's registries as JSON, or undefined when it does not answer in time (starting, stuck, gone). */
function askWorker(worker: Worker): Promise<JsonMetrics[] | undefined> {
  return new Promise((resolve) => {
    const requestId = `primary-${nextRequestId++}`;
    const finish = (answer?: JsonMetrics[]) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(answer);
    };
    const onMessage = (message: { type?: string; requestId?: string; metrics?: JsonMetrics[]; error?: string }) => {
      if (message?.type === GET_METRICS_RES && message.requestId === requestId) finish(message.metrics);
    };
    const onExit = () => finish();
    const timer = setTimeout(finish, WORKER_ANSWER_MS);
    worker.on('message', onMessage);
    worker.once('exit', onExit);
    worker.send({ type: GET_METRICS_REQ, requestId }, (error: Error | null) => error && finish());
  });
}

/**
 * The cluster primary's /metrics: the registries of the workers that are serving, summed by prom-client's
 * AggregatorRegistry.aggregate (counters and histogram buckets add up), followed by the primary's own series
 * about its workers. The asking is done here rather than by AggregatorRegistry.clusterMetrics(), which waits
 * for every forked worker and so fails the whole scrape while a replacement worker is still starting.
 */
export async function startClusterMetricsServer(
  port: number,
  host: string,
  serving: () => Worker[],
): Promise<{ server: MetricsServer; record: PrimaryMetrics }> {
  const own = new Registry();
  const alive = new Gauge({
    name: 'image_api_cluster_workers',
    help: 'Server worker processes currently running under this primary',
    registers: [own],
  });
  const replaced = new Counter({
    name: 'image_api_cluster_worker_restarts_total',
    help: 'Server workers that died and were replaced',
    registers: [own],
  });
  const source = {
    contentType: own.contentType,
    metrics: async () => {
      const answers = await Promise.all(serving().map(askWorker));
      const workers = AggregatorRegistry.aggregate(answers.flatMap((answer) => answer ?? []));
      return `${await workers.metrics()}\n${await own.metrics()}`;
    },
  };
  const server = await startMetricsServer(source, port, host);
  return {
    server,
    record: { workerStarted: () => alive.inc(), workerExited: () => alive.dec(), workerReplaced: () => replaced.inc() },
  };
}
