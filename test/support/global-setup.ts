import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Embedded from '../../src/database/embedded-postgres.js';

/**
 * Once per `npm test`: a PostgreSQL server for every test file (each file makes its own database on it),
 * embedded under the system temp dir unless DATABASE_URL names one, and a fresh build in dist/ for the
 * tests that run the real server and CLI as processes.
 */
export default async function globalSetup(): Promise<void> {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    stdio: 'inherit',
  });
  // The admin panel's components bundle (what `npm run build` makes): served from disk, never bundled in tests.
  execFileSync(process.execPath, ['dist/admin/bundle.js'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (process.env.DATABASE_URL) {
    process.env.TEST_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  // globalSetup runs outside jest's module mapping: load the fresh build.
  const { startEmbeddedPostgres } = (await import(
    '../../dist/database/embedded-postgres.js' as string
  )) as typeof Embedded;
  const dataDir = mkdtempSync(join(tmpdir(), 'image-api-test-pg-'));
  const database = await startEmbeddedPostgres(dataDir);
  (globalThis as { testDatabase?: unknown }).testDatabase = { database, dataDir };
  process.env.TEST_SERVER_URL = database.url;
}
