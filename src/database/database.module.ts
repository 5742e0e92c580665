import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions.js';
import { AppConfig } from '../config/config.js';
import { dataSourceOptions } from './data-source.js';
import { migrate } from './migrate.js';

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      // `migrationsRun` says whether this process migrates (not a cluster worker: its primary did it), and
      // migrate() does it first, under an advisory lock, instead of TypeORM's unlocked run in initialize().
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.databaseUrl!, config.dbTimeouts),
        migrationsRun: !config.databaseReady,
      }),
      dataSourceFactory: async (options) => {
        if (options!.migrationsRun) await migrate(options as PostgresConnectionOptions);
        return new DataSource({ ...options!, migrationsRun: false }).initialize();
      },
    }),
  ],
})
export class DatabaseModule {}
