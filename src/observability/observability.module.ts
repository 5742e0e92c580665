import {
  type DynamicModule,
  Global,
  Inject,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '../config/config.js';
import { createPino, loggerParams } from './logging.js';
import { Metrics } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

/** Starts the Prometheus endpoint when METRICS_PORT is set, on METRICS_HOST, never on the public port. */
class MetricsEndpoint implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: MetricsServer;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  /** The port actually listened on (METRICS_PORT=0 picks a free one), or undefined without metrics. */
  get port(): number | undefined {
    return this.server?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort, metricsHost } = this.config;
    if (metricsPort === undefined) return;
    this.server = await startMetricsServer(this.metrics.registry, metricsPort, metricsHost);
    this.logger.log(`Prometheus metrics on http://${metricsHost}:${this.server.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.close();
  }
}

/** Names of the middleware functions that must see every request (createApp installs them). */
export const FIRST_MIDDLEWARE = ['requestObserver', 'securityHeaders'];

/**
 * @adminjs/nestjs's ExpressLoader moves its router (and the body parsers) to the top of Express's stack when
 * it registers, ahead of everything installed before. Once every module has registered (bootstrap), put the
 * request observer and the security headers back in front, so /admin responses get them too.
 */
class MiddlewareOrder implements OnApplicationBootstrap {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  onApplicationBootstrap(): void {
    const stack = (this.host.httpAdapter?.getInstance() as { router?: { stack?: Array<{ name?: string }> } })?.router
      ?.stack;
    if (!stack) return;
    const first = FIRST_MIDDLEWARE.flatMap((name) => {
      const index = stack.findIndex((layer) => layer.name === name);
      return index >= 0 ? stack.splice(index, 1) : [];
    });
    stack.unshift(...first);
  }
}

/** The pino logger that writes request lines (injection token). */
export const REQUEST_LOGGER = Symbol('REQUEST_LOGGER');

/** Metrics, request logs and the pino-backed Nest logger, for the whole application. */
@Global()
@Module({})
export class ObservabilityModule {
  /** `destination` replaces stdout (tests read the log lines). */
  static forRoot(config: AppConfig, destination?: DestinationStream): DynamicModule {
    const logger = createPino(config, destination);
    return {
      module: ObservabilityModule,
      imports: [LoggerModule.forRoot(loggerParams(logger))],
      providers: [Metrics, MetricsEndpoint, MiddlewareOrder, { provide: REQUEST_LOGGER, useValue: logger }],
      exports: [Metrics, MetricsEndpoint, REQUEST_LOGGER],
    };
  }
}

export { MetricsEndpoint };
