import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type AppOptions } from './app.module.js';
import type { AppConfig } from './config/config.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setupDocs } from './docs/openapi.js';
import { mediaRequestHandler } from './serving/media-request-handler.js';
import { ServingService } from './serving/serving.service.js';

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
  serveMediaAheadOfRouter(app);
  return app;
}

/**
 * Links are the hot path: they are answered by a plain node:http handler before Express and Nest's router
 * see the request (the same ServingService and error shape; anything it does not take goes on to Express).
 */
function serveMediaAheadOfRouter(app: NestExpressApplication): void {
  const server = app.getHttpServer() as Server;
  const media = mediaRequestHandler(app.get(ServingService));
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  if (listeners.length !== 1) throw new Error(`Expected one request listener (Express), found ${listeners.length}`);
  const [express] = listeners;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!media(req, res)) express(req, res);
  });
}
