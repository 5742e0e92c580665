import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/public.decorator.js';
import { StorageHealthIndicator } from './storage.health.js';

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly storage: StorageHealthIndicator,
  ) {}

  @Public()
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness and readiness: database and storage' })
  @ApiOkResponse({ description: '{status: "ok", info: {database: {status: "up"}, storage: {status: "up"}}}' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down' })
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 3000 }),
      () => this.storage.isHealthy('storage'),
    ]);
  }
}
