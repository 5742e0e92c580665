import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/config.js';
import { InProcessJobQueue, JobQueue } from './job-queue.js';

/** BullMQ and ioredis are loaded only when REDIS_URL asks for them (memory of a process without Redis). */
const loadBullMq = async () => (await import('./bullmq-job-queue.js')).BullMqJobQueue;

/**
 * The API's queue: in-process by default; with REDIS_URL a BullMQ producer (jobs run in `npm run start:worker`
 * processes, never in the API).
 */
@Global()
@Module({
  providers: [
    {
      provide: JobQueue,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<JobQueue> =>
        config.queue ? new (await loadBullMq())(config.queue, 'producer') : new InProcessJobQueue(),
    },
  ],
  exports: [JobQueue],
})
export class JobsModule {}

/** The worker process's queue: BullMQ, running the handlers that modules register. Needs REDIS_URL. */
@Global()
@Module({
  providers: [
    {
      provide: JobQueue,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<JobQueue> => {
        if (!config.queue) throw new Error('REDIS_URL is required for a worker');
        return new (await loadBullMq())(config.queue, 'worker');
      },
    },
  ],
  exports: [JobQueue],
})
export class WorkerJobsModule {}
