import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';
import { isDatabaseUnavailable } from '../common/database-unavailable.js';

/**
 * TypeORM's messages through Nest's logger (so through pino, with the request id when inside a request),
 * instead of its console logger. Query parameters are never logged: they hold password hashes and the
 * like. A database that is unreachable is one warning per failed query, without the SQL.
 */
export class TypeOrmLogger implements Logger {
  private readonly logger = new NestLogger('TypeORM');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string): void {
    const message = typeof error === 'string' ? error : error.message;
    if (isDatabaseUnavailable(error)) this.logger.warn(`Query failed, database unavailable: ${message}`);
    else this.logger.error(`Query failed: ${message} -- ${query.replace(/\s+/g, ' ').slice(0, 500)}`);
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn(`Slow query (${time} ms): ${query.replace(/\s+/g, ' ').slice(0, 500)}`);
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }
}
