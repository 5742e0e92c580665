import { type DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { PrincipalModule } from './auth/principal.module.js';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { DestinationStream } from 'pino';
import { AdminModule } from './admin/admin.module.js';
import { AuthModule } from './auth/auth.module.js';
import type { Clock } from './common/clock.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { AppConfig } from './config/config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { SeedModule } from './database/seed.module.js';
import { HealthModule } from './health/health.module.js';
import { ImagesModule } from './images/images.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { ServingModule } from './serving/serving.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { StorageModule } from './storage/storage.module.js';
import { TiersModule } from './tiers/tiers.module.js';
import { UsersModule } from './users/users.module.js';

export interface AppOptions {
  /** Replaces the system clock (tests move time instead of sleeping). */
  clock?: Clock;
  /** Where log lines go instead of stdout (tests read them). */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  /** The whole application for a resolved configuration (databaseUrl set). */
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, options.clock),
        ObservabilityModule.forRoot(config, options.logDestination),
        ScheduleModule.forRoot(),
        DatabaseModule,
        NotificationsModule,
        SeedModule,
        StorageModule,
        JobsModule,
        TiersModule,
        PrincipalModule,
        UsersModule,
        AuthModule,
        ImagesModule,
        ServingModule,
        HealthModule,
        AdminModule,
      ],
      providers: [
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({
            whitelist: true,
            forbidNonWhitelisted: true,
            transform: true,
            stopAtFirstError: true,
          }),
        },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
    };
  }
}
