import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, TEST_JWT_SECRET, TEST_LINK_SECRET } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { childEnv, runNode } from './support/process.js';
import { startS3, type TestS3 } from './support/s3.js';

/** Processes that cannot work stop at once with one clear line, instead of starting half-broken. */
describe('start-up refusals of the API and the worker', () => {
  let dataDir: string;
  let db: TestDatabase;
  let s3: TestS3;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'image-api-refusals-'));
    [db, s3] = await Promise.all([createTestDatabase(), startS3()]);
  });
  afterAll(async () => {
    await s3?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string>) => ({
    ...childEnv({}),
    DATA_DIR: dataDir,
    JWT_SECRET: TEST_JWT_SECRET,
    LINK_SECRET: TEST_LINK_SECRET,
    ...extra,
  });

  it('the API refuses a bucket that does not exist', async () => {
    const result = await runNode(
      'dist/main.js',
      [],
      env({ ...s3.env, S3_BUCKET: 'no-such-bucket', DATABASE_URL: db.url, PORT: String(await freePort()) }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`S3 bucket "no-such-bucket" at ${s3.endpoint} does not exist (create it first)`);
  });

  it('the worker needs REDIS_URL', async () => {
    const result = await runNode('dist/worker/main.js', [], env({ DATABASE_URL: db.url }));
    expect(result).toMatchObject({
      code: 1,
      stderr: 'REDIS_URL is required for a worker (without it the API makes thumbnails in its own process)\n',
    });
  });

  it('the worker without DATABASE_URL uses a running server’s embedded PostgreSQL, and never starts one', async () => {
    const result = await runNode('dist/worker/main.js', [], env({ REDIS_URL: 'redis://127.0.0.1:6379' }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`No API server is running on DATA_DIR=${dataDir}: start it first`);
  });
});
