import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { BullMqJobQueue } from '../jobs/bullmq-job-queue.js';
import { JobQueue } from '../jobs/job-queue.js';

/** Redis and the BullMQ queue (REDIS_URL): up with the job counts (`failed` included), or down with why. */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    private readonly indicator: HealthIndicatorService,
    private readonly jobs: JobQueue,
  ) {}

  /** Whether there is anything to report: in-process jobs have no Redis. */
  get enabled(): boolean {
    return typeof (this.jobs as Partial<BullMqJobQueue>).stats === 'function'; // BullMQ is loaded only with REDIS_URL
  }

  async isHealthy(key = 'redis') {
    const check = this.indicator.check(key);
    try {
      return check.up({ ...(await (this.jobs as BullMqJobQueue).stats()) });
    } catch (error) {
      return check.down({ message: error instanceof Error ? error.message : String(error) });
    }
  }
}
