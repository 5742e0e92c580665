import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { AppModule, type AppOptions } from './app.module.js';
import { securityHeaders } from './common/security-headers.js';
import type { AppConfig } from './config/config.js';
import { setupDocs } from './docs/openapi.js';
import { createNestLogger } from './observability/logging.js';
import { Metrics } from './observability/metrics.js';
import { REQUEST_LOGGER } from './observability/observability.module.js';
import { requestObserver } from './observability/request-observer.js';

/** Nest's logger before the application exists (main.ts, the CLI): pino, like the application's. */
export function createLogger(config: AppConfig, options: { stderr?: boolean } = {}): LoggerService {
  return createNestLogger(config, options);
}

/** The application as main.ts serves it; tests build theirs through here too. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  if (!config.databaseUrl) throw new Error('createApp needs a resolved databaseUrl');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options), {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(PinoNestLogger));
  // First of all middleware: request id, the request's log line and its duration metric.
  app.use(requestObserver(app.get<Pino>(REQUEST_LOGGER), app.get(Metrics)));
  app.use(securityHeaders({ https: config.publicUrl.startsWith('https:') }));
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.useBodyParser('json', { limit: '64kb' });
  setupDocs(app);
  return app;
}
