import 'reflect-metadata';
import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createNestLogger } from '../observability/logging.js';
import type { AppConfig } from '../config/config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { type ResolvedDatabase, resolveDatabase } from '../database/resolve-database.js';
import { SeedModule } from '../database/seed.module.js';
import { TiersModule } from '../tiers/tiers.module.js';
import { TiersService } from '../tiers/tiers.service.js';
import { UsersModule } from '../users/users.module.js';
import { UsersService } from '../users/users.service.js';
import type { Command } from './main.js';
import { describeTier } from './set-tier.command.js';

/**
 * Runs a parsed command against the database the server uses (started and stopped here when embedded).
 * Loaded by main.ts only once the arguments are good: a typo is answered without loading Nest. main.ts starts
 * the database while this module loads and passes it in; it is stopped here either way.
 */
export async function run(
  configured: AppConfig,
  command: Command,
  starting: Promise<ResolvedDatabase> = resolveDatabase(configured),
): Promise<string> {
  const database = await starting;
  try {
    Logger.overrideLogger(createNestLogger(configured.with({ logLevel: 'warn' }), { stderr: true })); // stdout is the answer
    return await execute(database.config, command);
  } finally {
    await database.close();
  }
}

async function execute(config: AppConfig, command: Command): Promise<string> {
  const app = await NestFactory.createApplicationContext(await cliModule(config, command), {
    logger: ['error'],
    abortOnError: false,
  });
  try {
    if (command.name === 'set-tier') {
      const { tier, heights, created } = await app.get(TiersService).setTier(command.plan);
      return describeTier(tier, heights, created);
    }
    if (command.name === 'placeholders') return await (await import('./placeholders.command.js')).runPlaceholders(app);
    const { user, created } = await app.get(UsersService).upsert(command.input);
    const tier = await app.get(UsersService).tierName(user.tierId);
    return `${created ? 'Created' : 'Updated'} user ${user.username} (tier ${tier}${user.isAdmin ? ', admin' : ''})`;
  } finally {
    await app.close();
  }
}

/** What a command needs, and no more: storage and sharp are loaded only for the placeholders. */
async function cliModule(config: AppConfig, command: Command): Promise<DynamicModule> {
  @Module({})
  class CliModule {}
  const base = [ConfigModule.forRoot(config), DatabaseModule, SeedModule];
  if (command.name === 'placeholders') {
    return (await import('./placeholders.command.js')).placeholdersModule(CliModule, base);
  }
  return { module: CliModule, imports: [...base, UsersModule, TiersModule] };
}
