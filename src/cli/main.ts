import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { createNestLogger } from '../observability/logging.js';
import { ConfigError, loadConfig, type AppConfig } from '../config/config.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { resolveDatabase } from '../database/resolve-database.js';
import { SeedModule } from '../database/seed.module.js';
import { passwordProblem, usernameProblem } from '../users/user.rules.js';
import { UsersModule } from '../users/users.module.js';
import { UsersService } from '../users/users.service.js';

const USAGE = `Usage:
  npm run cli -- create-user <username> --password <password> [--tier <tier name>] [--admin | --no-admin]

Creates the user, or updates the password (and tier and admin flag, when given) of an existing one.
Tokens already issued to an existing user stay valid.`;

class UsageError extends Error {}

function parse(argv: string[]) {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      password: { type: 'string' },
      tier: { type: 'string' },
      admin: { type: 'boolean' },
      'no-admin': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  const [command, username, ...extra] = positionals;
  if (command !== 'create-user') throw new UsageError(`Unknown command "${command ?? ''}"`);
  if (!username || extra.length > 0) throw new UsageError('create-user takes exactly one username');
  const usernameIssue = usernameProblem(username);
  if (usernameIssue) throw new UsageError(`The username must be ${usernameIssue}`);
  const passwordIssue = passwordProblem(values.password ?? '');
  if (passwordIssue) throw new UsageError(`--password must be ${passwordIssue}`);
  if (values.admin && values['no-admin']) throw new UsageError('--admin and --no-admin exclude each other');
  const isAdmin = values.admin ? true : values['no-admin'] ? false : undefined;
  return { username, password: values.password!, tier: values.tier, isAdmin };
}

async function createUser(config: AppConfig, input: NonNullable<ReturnType<typeof parse>>): Promise<string> {
  @Module({ imports: [ConfigModule.forRoot(config), DatabaseModule, SeedModule, UsersModule] })
  class CliModule {}
  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'], abortOnError: false });
  try {
    const { user, created } = await app.get(UsersService).upsert(input);
    const tier = await app.get(UsersService).tierName(user.tierId);
    return `${created ? 'Created' : 'Updated'} user ${user.username} (tier ${tier}${user.isAdmin ? ', admin' : ''})`;
  } finally {
    await app.close();
  }
}

async function main(): Promise<number> {
  let input;
  try {
    input = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (!input) {
    console.log(USAGE);
    return 0;
  }
  const configured = loadConfig();
  Logger.overrideLogger(createNestLogger(configured.with({ logLevel: 'warn' }), { stderr: true })); // stdout is the answer
  const database = await resolveDatabase(configured);
  try {
    console.log(await createUser(database.config, input));
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message =
      error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
    console.error(message);
    process.exit(1);
  },
);
