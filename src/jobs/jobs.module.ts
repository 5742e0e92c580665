import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/config.js';
import { BullMqJobQueue } from './bullmq-job-queue.js';
import { InProcessJobQueue, JobQueue } from './job-queue.js';

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
      useFactory: (config: AppConfig): JobQueue =>
        config.queue ? new BullMqJobQueue(config.queue, 'producer') : new InProcessJobQueue(),
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
      useFactory: (config: AppConfig): JobQueue => {
        if (!config.queue) throw new Error('REDIS_URL is required for a worker');
        return new BullMqJobQueue(config.queue, 'worker');
      },
    },
  ],
  exports: [JobQueue],
})
export class WorkerJobsModule {}
