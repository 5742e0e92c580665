import { Controller, Get, HttpException, Logger, ServiceUnavailableException } from '@nestjs/common';
import {
  type ApiResponseSchemaHost,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  type HealthCheckResult,
  type HealthIndicatorResult,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../common/public.decorator.js';
import { QueueHealthIndicator } from './queue.health.js';
import { publicHealth } from './public-health.js';
import { StorageHealthIndicator } from './storage.health.js';

type SchemaObject = ApiResponseSchemaHost['schema'];

const INDICATORS: SchemaObject = {
  type: 'object',
  additionalProperties: { type: 'object', properties: { status: { type: 'string', enum: ['up', 'down'] } } },
};
const HEALTH_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'error'] },
    info: INDICATORS,
    error: INDICATORS,
    details: INDICATORS,
  },
  example: {
    status: 'ok',
    info: {
      database: { status: 'up' },
      storage: { status: 'up' },
      redis: { status: 'up', waiting: 0, active: 1, delayed: 0, failed: 2, workers: 1 },
    },
    error: {},
    details: {},
  },
};

/**
 * Adds the Redis result to a health result. Redis is reported but not critical: without it uploads still work
 * and thumbnails are made on first request, so it alone never turns the answer into a 503 (a load balancer
 * must not take every API instance out because the queue is away).
 */
function withRedis(result: HealthCheckResult, redis: HealthIndicatorResult): HealthCheckResult {
  const up = redis.redis?.status === 'up';
  return {
    ...result,
    info: up ? { ...result.info, ...redis } : result.info,
    error: up ? result.error : { ...result.error, ...redis },
    details: { ...result.details, ...redis },
  };
}

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly storage: StorageHealthIndicator,
    private readonly queue: QueueHealthIndicator,
  ) {}

  @Public()
  @Get()
  // Swagger docs written here: terminus documents it only where it can require() @nestjs/swagger.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Liveness and readiness: database and storage; with REDIS_URL also Redis and the job counts',
  })
  @ApiOkResponse({
    description: 'Database and storage are up (Redis, when used, is reported but may be down)',
    schema: HEALTH_SCHEMA,
  })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down; `error` names it', schema: HEALTH_SCHEMA })
  async check(): Promise<Record<string, unknown>> {
    try {
      return publicHealth(await this.runChecks());
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      // The detail (host, port, error text) is for the operator's log only.
      const result = error.getResponse() as Partial<HealthCheckResult>;
      this.logger.warn(`Health check failed: ${JSON.stringify(result.error ?? result)}`);
      throw new ServiceUnavailableException(publicHealth(result));
    }
  }

  private async runChecks(): Promise<HealthCheckResult> {
    const critical = this.health.check([
      () => this.db.pingCheck('database', { timeout: 3000 }),
      () => this.storage.isHealthy('storage'),
    ]);
    if (!this.queue.enabled) return critical;
    const [outcome, redis] = await Promise.all([
      critical.then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      ),
      this.queue.isHealthy('redis'),
    ]);
    if ('result' in outcome) return withRedis(outcome.result, redis);
    const { error } = outcome;
    if (!(error instanceof ServiceUnavailableException)) throw error;
    throw new ServiceUnavailableException(withRedis(error.getResponse() as HealthCheckResult, redis));
  }
}
