import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

export const LOGIN_FAILURES_PER_MINUTE = 10;

/**
 * Counts failed logins per (username, client address) in PostgreSQL, so every API instance sees the same
 * count (rate-limiter-flexible; the table comes from a migration). After 10 failures in a minute the pair
 * gets 429 until the minute is over; a successful login clears the count.
 */
@Injectable()
export class LoginLimiterService {
  private readonly limiter: RateLimiterPostgres;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.limiter = new RateLimiterPostgres({
      storeClient: (dataSource.driver as PostgresDriver).master,
      storeType: 'pool',
      tableName: 'login_failures',
      tableCreated: true,
      points: LOGIN_FAILURES_PER_MINUTE,
      duration: 60,
    });
  }

  private key(username: string, address: string): string {
    return `${username.toLowerCase()}|${address}`;
  }

  async assertAllowed(username: string, address: string): Promise<void> {
    const state = await this.limiter.get(this.key(username, address));
    if (state && state.consumedPoints >= LOGIN_FAILURES_PER_MINUTE) {
      const retryAfter = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      throw new HttpException(
        {
          message: `Too many failed logins for this username from this address; try again in ${retryAfter} s`,
          retryAfter,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }

  async recordFailure(username: string, address: string): Promise<void> {
    await this.limiter.consume(this.key(username, address)).catch((res: unknown) => {
      if (!(res instanceof RateLimiterRes)) throw res; // over the limit is expected here; store errors are not
    });
  }

  async reset(username: string, address: string): Promise<void> {
    await this.limiter.delete(this.key(username, address));
  }
}
