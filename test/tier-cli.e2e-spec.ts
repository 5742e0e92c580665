import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { childEnv, runNode } from './support/process.js';

/** `npm run cli -- set-tier`, as a team scripting its plans runs it: the built CLI against a real database. */
describe('CLI set-tier', () => {
  let db: TestDatabase;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'image-api-tier-cli-'));
    env = { ...childEnv({ DATA_DIR: dataDir }), DATABASE_URL: db.url };
  });

  afterAll(async () => {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runNode('dist/cli/main.js', ['set-tier', ...args], env);
  const query = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  const tier = async (name: string) =>
    (
      await query(
        `SELECT t.name, t."originalLink", t."expiringLinks", t."maxUploadBytes"::float8 AS "maxUploadBytes",
                t."storageQuotaBytes"::float8 AS "storageQuotaBytes", t."uploadsPerDay",
                COALESCE(array_agg(s.height ORDER BY s.height) FILTER (WHERE s.id IS NOT NULL), '{}') AS heights
           FROM tiers t LEFT JOIN tier_sizes ts ON ts."tierId" = t.id LEFT JOIN sizes s ON s.id = ts."sizeId"
          WHERE t.name = $1 GROUP BY t.id`,
        [name],
      )
    )[0];

  it('creates a tier with sizes made as needed and limits in readable units', async () => {
    const result = await cli(
      'Gold',
      '--heights',
      '200,640',
      '--original',
      '--max-upload',
      '50KiB',
      '--storage-quota',
      '1GiB',
      '--uploads-per-day',
      '100',
    );
    expect(result).toMatchObject({
      code: 0,
      stdout:
        'Created tier Gold: heights 200, 640; original link yes; expiring links no; max upload 50 KiB; ' +
        'storage quota 1 GiB; uploads per day 100\n',
    });
    expect(await tier('Gold')).toEqual({
      name: 'Gold',
      originalLink: true,
      expiringLinks: false,
      maxUploadBytes: 51_200,
      storageQuotaBytes: 1024 ** 3,
      uploadsPerDay: 100,
      heights: [200, 640],
    });
    expect(await query(`SELECT height FROM sizes ORDER BY height`)).toEqual([
      { height: 200 },
      { height: 400 },
      { height: 640 },
    ]);
  }, 180_000);

  it('updates only what it is told; "none" clears a limit', async () => {
    const result = await cli(
      'Gold',
      '--no-original',
      '--expiring',
      '--max-upload',
      'none',
      '--storage-quota',
      '1.5 GiB',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'Updated tier Gold: heights 200, 640; original link no; expiring links yes; max upload none; ' +
        'storage quota 1536 MiB; uploads per day 100\n',
    );
    expect(await tier('Gold')).toMatchObject({
      originalLink: false,
      expiringLinks: true,
      maxUploadBytes: null,
      storageQuotaBytes: 1.5 * 1024 ** 3,
      uploadsPerDay: 100,
      heights: [200, 640],
    });
    // A built-in tier can be given limits too, and its sizes replaced.
    expect((await cli('Basic', '--heights', '100', '--uploads-per-day', '5')).code).toBe(0);
    expect(await tier('Basic')).toMatchObject({ heights: [100], uploadsPerDay: 5, maxUploadBytes: null });
  }, 240_000); // each run starts Nest and migrates: slow on a busy machine

  it('refuses bad values with one line and a non-zero exit, changing nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['Gold', '--max-upload=-5'], /--max-upload: "-5" must be at least 1 byte/],
      [['Gold', '--max-upload', '-5'], /--max-upload: "-5" must be at least 1 byte/],
      [['Gold', '--heights', '0,200'], /--heights: "0" is not a whole number from 1 to 10000/],
      [['Gold', '--heights', '200,big'], /--heights: "big"/],
      [
        ['Gold', '--storage-quota', '10KB'],
        /--storage-quota: unknown unit "KB" in "10KB": use B, KiB, MiB, GiB or TiB/,
      ],
      [['Gold', '--uploads-per-day', '0'], /--uploads-per-day: "0" must be a whole number from 1/],
      [['Gold', '--uploads-per-day', '2.5'], /--uploads-per-day: "2.5"/],
      [['Gold', '--original', '--no-original'], /--original and --no-original exclude each other/],
      [['Gold', '--colour', 'red'], /Unknown option '--colour'/],
      [[], /set-tier takes exactly one tier name/],
    ];
    const before = await tier('Gold');
    // Refused before any database work, so they can run side by side.
    const results = await Promise.all(cases.map(([args]) => cli(...args)));
    results.forEach((result, i) => {
      const context = JSON.stringify(cases[i][0]);
      expect({ context, code: result.code, stdout: result.stdout }).toEqual({ context, code: 2, stdout: '' });
      expect(result.stderr).toMatch(cases[i][1]);
      expect({ context, lines: result.stderr.trimEnd().split('\n').length }).toEqual({ context, lines: 1 });
      expect(result.stderr).not.toMatch(/\n\s+at /);
    });
    expect(await tier('Gold')).toEqual(before);
  });
});
