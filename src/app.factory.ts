import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';
import { AppModule, type AppOptions } from './app.module.js';
import { mediaSecurityHeaders, securityHeaders } from './common/security-headers.js';
import type { AppConfig } from './config/config.js';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setupDocs } from './docs/openapi.js';
import { mediaRouteLabel, redactMediaUrl } from './links/media-url.js';
import { mediaRequestHandler, type RequestHook } from './serving/media-request-handler.js';
import { ServingService } from './serving/serving.service.js';
import { createNestLogger } from './observability/logging.js';
import { Metrics } from './observability/metrics.js';
import { REQUEST_LOGGER } from './observability/observability.module.js';
import { requestObserver } from './observability/request-observer.js';
import { applyServerLimits } from './common/server-limits.js';
import { ShapedExpressAdapter } from './common/request-shape.js';
import { isUploadRequest } from './upload-edge/upload-route.js';
import { UploadLimits } from './upload-edge/upload-limits.js';

/** Nest's logger before the application exists (main.ts, the CLI): pino, like the application's. */
export function createLogger(config: AppConfig, options: { stderr?: boolean } = {}): LoggerService {
  return createNestLogger(config, options);
}

/** The application as main.ts serves it; tests build theirs through here too. */
export async function createApp(config: AppConfig, options: AppOptions = {}): Promise<NestExpressApplication> {
  if (!config.databaseUrl) throw new Error('createApp needs a resolved databaseUrl');
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, options),
    new ShapedExpressAdapter(),
    {
      bufferLogs: true,
      bodyParser: false,
      abortOnError: false,
    },
  );
  app.useLogger(app.get(PinoNestLogger));
  // First of all middleware: request id, the request's log line and its duration metric; then the headers.
  const observe = requestObserver(
    app.get<Pino>(REQUEST_LOGGER),
    app.get(Metrics),
    { route: mediaRouteLabel, redact: redactMediaUrl },
    config.logLinkSample,
  );
  const https = config.publicUrl.startsWith('https:');
  app.use(observe.middleware);
  app.use(securityHeaders({ https }));
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
    ...app.get(UploadLimits).serverLimits(),
  });
  setupDocs(app);
  // The same request id, log line and metric as every other request, without Express; helmet's headers for
  // links, worked out once.
  const mediaHeaders = mediaSecurityHeaders({ https });
  serveMediaAheadOfRouter(app, (req, res, known) => [
    'X-Request-Id',
    observe.observe(req, res, known),
    ...mediaHeaders,
  ]);
  return app;
}

/**
 * Links are the hot path: everything under /media/ is answered by a plain node:http handler before Express
 * and Nest's router see the request (the same error shape); everything else goes on to Express.
 */
function serveMediaAheadOfRouter(app: NestExpressApplication, hook: RequestHook): void {
  const server = app.getHttpServer() as Server;
  const media = mediaRequestHandler(app.get(ServingService), hook);
  type Listener = (req: IncomingMessage, res: ServerResponse) => void;
  const express = app.getHttpAdapter().getInstance() as Listener;
  const listeners = server.listeners('request') as Listener[];
  if (!listeners.includes(express)) throw new Error('Express is not a request listener of the HTTP server');
  server.removeAllListeners('request');
  for (const listener of listeners) {
    server.on(
      'request',
      listener !== express
        ? listener
        : (req: IncomingMessage, res: ServerResponse) => {
            if (!media(req, res)) express(req, res);
          },
    );
  }
}
