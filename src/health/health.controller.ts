import { Controller, Get, HttpException, Logger, ServiceUnavailableException } from '@nestjs/common';
import {
  type ApiResponseSchemaHost,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/public.decorator.js';
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
  example: { status: 'ok', info: { database: { status: 'up' }, storage: { status: 'up' } }, error: {}, details: {} },
};

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly storage: StorageHealthIndicator,
  ) {}

  @Public()
  @Get()
  // Swagger docs written here: terminus documents it only where it can require() @nestjs/swagger.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness and readiness: database and storage' })
  @ApiOkResponse({ description: 'Everything is up', schema: HEALTH_SCHEMA })
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

  private runChecks(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 3000 }),
      () => this.storage.isHealthy('storage'),
    ]);
  }
}
