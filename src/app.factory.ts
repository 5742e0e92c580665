import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import type { IncomingMessage } from 'node:http';
import { AppModule, type AppOptions } from './app.module.js';
import type { AppConfig } from './config/config.js';
import { applyServerLimits, lingerLimits } from './common/server-limits.js';
import { setupDocs } from './docs/openapi.js';
import { isUploadRequest } from './images/upload-route.js';

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
  // Not on the upload route: whatever is sent there that is not multipart gets a 415, whatever its size.
  app.useBodyParser('json', {
    limit: '64kb',
    type: (req: IncomingMessage) => !isUploadRequest(req) && Boolean((req as Request).is('application/json')),
  });
  applyServerLimits(app.getHttpServer(), {
    headersTimeoutMs: config.headersTimeoutMs,
    bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    keepAliveTimeoutMs: 5_000,
    ...lingerLimits(config.maxUploadBytes),
    isLongUpload: isUploadRequest,
  });
  setupDocs(app);
  return app;
}
