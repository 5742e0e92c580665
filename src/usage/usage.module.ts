import { Global, Module } from '@nestjs/common';
import { UsageRepository } from './usage.repository.js';
import { UsageService } from './usage.service.js';

/** Usage accounting, for uploads (images), the caller's own view (auth) and the admin panel. */
@Global()
@Module({
  providers: [UsageRepository, UsageService],
  exports: [UsageService],
})
export class UsageModule {}
