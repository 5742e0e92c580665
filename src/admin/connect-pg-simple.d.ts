// connect-pg-simple 10 ships no types; only what src/admin/session-store.ts uses.
declare module 'connect-pg-simple' {
  import type session from 'express-session';
  import type pg from 'pg';

  interface PgStoreOptions {
    pool?: pg.Pool;
    tableName?: string;
    schemaName?: string;
    createTableIfMissing?: boolean;
    /** Seconds between prunes of expired rows, or false. */
    pruneSessionInterval?: number | false;
    errorLog?: (...args: unknown[]) => void;
  }

  class PgStore extends session.Store {
    constructor(options?: PgStoreOptions);
    close(): Promise<void>;
    get(sid: string, callback: (error: unknown, session?: session.SessionData | null) => void): void;
    set(sid: string, session: session.SessionData, callback?: (error?: unknown) => void): void;
    destroy(sid: string, callback?: (error?: unknown) => void): void;
  }

  export default function connectPgSimple(s: typeof session): typeof PgStore;
}
