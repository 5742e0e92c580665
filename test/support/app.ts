import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory.js';
import type { AppOptions } from '../../src/app.module.js';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { UsersService } from '../../src/users/users.service.js';
import { assertTestDatabase, createTestDatabase, type TestDatabase } from './database.js';
import { getDataSourceToken } from '@nestjs/typeorm';

export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';
export const TEST_LINK_SECRET = 'test-link-secret-that-is-long-enough-0123456789';

/**
 * A port nothing listens on, for a server the test starts: below 32768, outside the range Linux hands out to
 * client sockets (STACK.md trap 14), so no outgoing connection can take it between this check and the listen.
 * Jest's workers draw from disjoint ranges and a test file never gets the same port twice, so suites running
 * in parallel (or one file's servers started together) cannot pick the same port while one of them is still
 * building the server that will listen on it.
 */
export async function freePort(): Promise<number> {
  const worker = Number(process.env.JEST_WORKER_ID ?? 1) - 1;
  const span = Math.floor(12_000 / WORKER_RANGES);
  const first = 20_000 + (worker % WORKER_RANGES) * span;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = first + Math.floor(Math.random() * span);
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`No free port found in ${first}-${first + span - 1}`);
}

/** Ranges for up to four workers (jest.config sets two); a fifth would share the first's range. */
const WORKER_RANGES = 4;
/** Ports this test file was given (jest loads this module afresh for every file). */
const handedOut = new Set<number>();

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  db: TestDatabase;
  /** Base URL the app listens on (also its PUBLIC_URL). */
  baseUrl: string;
  http: () => ReturnType<typeof request>;
  dataSource: DataSource;
  /** Creates (or updates) a user and returns a fresh access token for them. */
  login(username: string, options?: { tier?: string; isAdmin?: boolean; password?: string }): Promise<string>;
  /** Stops the app, then drops its database and removes its data dir unless told to keep them (restarts). */
  close(options?: { keepDatabase?: boolean; keepData?: boolean }): Promise<void>;
}

export interface BootOptions extends AppOptions {
  env?: Record<string, string>;
  /** Reuse an existing database (restart scenarios). */
  db?: TestDatabase;
  dataDir?: string;
}

/** The real application, listening on a free port, against its own fresh database. */
export async function bootApp(options: BootOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  assertTestDatabase(db.url);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'image-api-test-data-'));
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    LINK_SECRET: TEST_LINK_SECRET,
    LOG_LEVEL: 'error',
    ...options.env,
  }).with({ databaseUrl: db.url, publicUrl: `http://127.0.0.1:${port}` });
  const app = await createApp(config, options);
  await app.listen(port, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${port}`;
  const http = () => request(app.getHttpServer());
  const users = app.get(UsersService);
  return {
    app,
    config,
    db,
    baseUrl,
    http,
    dataSource: app.get<DataSource>(getDataSourceToken()),
    async login(username, { tier, isAdmin, password = 'password-123' } = {}) {
      await users.upsert({ username, password, tier, isAdmin });
      const res = await http().post('/api/auth/token').send({ username, password }).expect(200);
      return (res.body as { accessToken: string }).accessToken;
    },
    async close({ keepDatabase = false, keepData = false } = {}) {
      await app.close();
      if (!keepDatabase) await db.drop();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
