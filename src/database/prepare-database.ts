import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type AppConfig } from '../config/config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from './database.module.js';
import { SeedModule } from './seed.module.js';

/**
 * Migrations and the seed (built-in sizes and tiers, ADMIN_USERNAME), once, without the application: what a
 * cluster primary does before it forks workers that then skip both (config.databaseReady).
 */
export async function prepareDatabase(config: AppConfig): Promise<void> {
  @Module({ imports: [ConfigModule.forRoot(config.with({ databaseReady: false })), DatabaseModule, SeedModule] })
  class PrepareModule {}
  const context = await NestFactory.createApplicationContext(PrepareModule, { abortOnError: false });
  await context.close();
}
