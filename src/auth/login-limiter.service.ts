import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { TooManyLoginAttemptsError } from './auth.errors.js';

export const LOGIN_FAILURES_PER_MINUTE = 10;
/** Failures per username from all addresses together before that username is slowed down. */
export const USERNAME_FAILURES_PER_15_MINUTES = 100;
/** Once a username is over that ceiling: one attempt per this many seconds, from anywhere (slowed, not locked). */
export const SLOWED_SECONDS_PER_ATTEMPT = 10;

/** How long an address where a username logged in stays trusted for it while that username is slowed. */
export const KNOWN_ADDRESS_DAYS = 30;

/**
 * What a key may hold from the outside: the address Express found (with TRUST_PROXY, a forwarded one, which
 * can be anything) and the username. Anything long or odd is hashed, so a key always fits its column.
 */
export function addressKey(address: string): string {
  return isIP(address) ? address : `h:${createHash('sha256').update(address).digest('base64url').slice(0, 22)}`;
}
const usernameKey = (username: string) => {
  const lower = username.toLowerCase();
  return lower.length <= 100 ? lower : `h:${createHash('sha256').update(lower).digest('base64url')}`;
};

const secondsUntil = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/**
 * Login attempts, counted in PostgreSQL so that every API instance sees the same numbers
 * (rate-limiter-flexible; the table comes from a migration).
 *
 * An attempt is consumed BEFORE the password is checked, atomically, so a burst of parallel guesses cannot
 * slip past the count: at most 10 passwords a minute are ever checked per (username, address). A successful
 * login gives its attempt back (and clears the pair's count). Across addresses, a username that collects 100
 * failures in 15 minutes is slowed to one attempt every 10 s: a botnet cannot guess fast. The attacker cannot
 * keep the owner out by holding that shared slot either: addresses where the username logged in within the last
 * 30 days skip it (they keep their own 10 a minute).
 */
@Injectable()
export class LoginLimiterService {
  private readonly perAddress: RateLimiterPostgres;
  private readonly perUsername: RateLimiterPostgres;
  private readonly slowed: RateLimiterPostgres;
  private readonly known: RateLimiterPostgres;

  constructor(@InjectDataSource() dataSource: DataSource) {
    const base = {
      storeClient: (dataSource.driver as PostgresDriver).master,
      storeType: 'pool',
      tableName: 'login_failures',
      tableCreated: true,
    };
    this.perAddress = new RateLimiterPostgres({ ...base, points: LOGIN_FAILURES_PER_MINUTE, duration: 60 });
    this.perUsername = new RateLimiterPostgres({
      ...base,
      keyPrefix: 'user',
      points: USERNAME_FAILURES_PER_15_MINUTES,
      duration: 15 * 60,
    });
    this.slowed = new RateLimiterPostgres({
      ...base,
      keyPrefix: 'slow',
      points: 1,
      duration: SLOWED_SECONDS_PER_ATTEMPT,
    });
    this.known = new RateLimiterPostgres({
      ...base,
      keyPrefix: 'known',
      points: 1,
      duration: KNOWN_ADDRESS_DAYS * 24 * 3600,
    });
  }

  private pairKey(username: string, address: string): string {
    return `${usernameKey(username)}|${addressKey(address)}`;
  }

  /** Takes one attempt for this username and address, or throws TooManyLoginAttemptsError. */
  async consume(username: string, address: string): Promise<void> {
    const user = usernameKey(username);
    try {
      await this.perAddress.consume(this.pairKey(username, address));
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res; // a store error is not a verdict
      const retryAfter = secondsUntil(res);
      throw new TooManyLoginAttemptsError(
        `Too many failed logins for this username from this address; try again in ${retryAfter} s`,
        retryAfter,
      );
    }
    try {
      await this.perUsername.consume(user);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      // The owner is not kept out by the attack: from an address where this username logged in before, the
      // shared slow slot does not apply (the per-address limit above still does).
      if (await this.known.get(this.pairKey(username, address))) return;
      try {
        await this.slowed.consume(user);
      } catch (slow) {
        if (!(slow instanceof RateLimiterRes)) throw slow;
        const retryAfter = secondsUntil(slow);
        throw new TooManyLoginAttemptsError(
          `Too many failed logins for this username; it takes one attempt every ${SLOWED_SECONDS_PER_ATTEMPT} s, try again in ${retryAfter} s`,
          retryAfter,
        );
      }
    }
  }

  /**
   * A successful login: the pair starts again from zero, the username gets its attempt back, and the address
   * is remembered as the owner's for KNOWN_ADDRESS_DAYS.
   */
  async succeeded(username: string, address: string): Promise<void> {
    await Promise.all([
      this.perAddress.delete(this.pairKey(username, address)),
      this.perUsername.reward(usernameKey(username), 1),
      this.known.set(this.pairKey(username, address), 1, KNOWN_ADDRESS_DAYS * 24 * 3600),
    ]);
  }
}
