import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type AppOptions } from './app.module.js';
import type { AppConfig } from './config/config.js';
import { setupDocs } from './docs/openapi.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export function createLogger(config: AppConfig): ConsoleLogger {
  return new ConsoleLogger({
    logLevels: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1),
    json: config.env === 'production',
  });
}

/** The application as main.ts serves it; tests build theirs through here too. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  if (!config.databaseUrl) throw new Error('createApp needs a resolved databaseUrl');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    logger: createLogger(config),
    bodyParser: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.useBodyParser('json', { limit: '64kb' });
  setupDocs(app);
  return app;
}
