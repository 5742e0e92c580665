import { Global, Module } from '@nestjs/common';
import { InProcessJobQueue, JobQueue } from './job-queue.js';

@Global()
@Module({
  providers: [{ provide: JobQueue, useClass: InProcessJobQueue }],
  exports: [JobQueue],
})
export class JobsModule {}
