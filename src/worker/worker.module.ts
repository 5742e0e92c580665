import { type DynamicModule, Module } from '@nestjs/common';
import { PrincipalModule } from '../auth/principal.module.js';
import type { AppConfig } from '../config/config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { ImagesModule } from '../images/images.module.js';
import { WorkerJobsModule } from '../jobs/jobs.module.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { StorageModule } from '../storage/storage.module.js';
import { TiersModule } from '../tiers/tiers.module.js';

/**
 * What a worker process needs to make thumbnails: database (and its notifications), storage, grants, the images module (whose
 * ThumbnailsService registers the 'make-thumbnails' handler) and the BullMQ queue in its worker role.
 * No HTTP server, no admin panel, no scheduler.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        NotificationsModule,
        StorageModule,
        WorkerJobsModule,
        TiersModule,
        PrincipalModule,
        ImagesModule,
      ],
    };
  }
}
