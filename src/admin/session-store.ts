import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import pg from 'pg';
import { AppConfig } from '../config/config.js';
import { pgClientTimeouts } from '../common/pg-timeouts.js';

/** connect-pg-simple's layout; created by migration 1763810000000 (never by the store). */
export const SESSION_TABLE = 'admin_sessions';

type AdminSession = session.SessionData & { adminUser?: { id?: string } };

/**
 * Admin panel sessions in PostgreSQL, so that every instance shares them and a restart logs nobody out.
 * A session is only honoured while its user still exists and is still an administrator: demoting or
 * deleting an admin (panel, CLI or SQL) ends their panel session on their next request.
 *
 * The store has a small pool of its own, ended on shutdown; its prune timer is unref()'d and stopped by close().
 */
@Injectable()
export class AdminSessionStore implements OnApplicationShutdown {
  private readonly logger = new Logger('AdminSessions');
  private readonly pool: pg.Pool;
  readonly store: session.Store & { close(): Promise<void> };

  constructor(config: AppConfig) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: 3,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
      application_name: 'image-api-admin-sessions',
      ...pgClientTimeouts(config.dbTimeouts),
    });
    pool.on('error', (error) => this.logger.warn(`Idle session connection failed: ${error.message}`));
    this.pool = pool;

    const PgStore = connectPgSimple(session);
    const logger = this.logger;
    class AdminOnlyStore extends PgStore {
      override get(sid: string, callback: (error: unknown, session?: session.SessionData | null) => void): void {
        super.get(sid, (error, data) => {
          const userId = (data as AdminSession | null | undefined)?.adminUser?.id;
          if (error || !userId) return callback(error, data);
          pool.query('SELECT 1 FROM users WHERE id = $1 AND "isAdmin"', [userId]).then((result) => {
            if (result.rowCount) return callback(null, data);
            this.destroy(sid, () => undefined); // no longer an administrator: the session ends here
            callback(null, null);
          }, callback);
        });
      }
    }
    this.store = new AdminOnlyStore({
      pool,
      tableName: SESSION_TABLE,
      createTableIfMissing: false,
      pruneSessionInterval: 15 * 60,
      errorLog: (...args: unknown[]) => logger.warn(args.map(String).join(' ')),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close(); // stops the prune timer (the pool is ours, not the store's)
    await this.pool.end();
  }
}
