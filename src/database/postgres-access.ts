import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Who the embedded PostgreSQL runs as, and making its binaries and data reachable by that user: as root it is
 * the `postgres` system user, which may not be able to enter the project folder or DATA_DIR.
 */

/** Runs a program without a shell; resolves with its output, rejects when it exits non-zero. */
export const run = promisify(execFile);

/** The system user the embedded PostgreSQL runs as when this process is root. */
export const DB_USER = 'postgres';

export interface Binaries {
  initdb: string;
  pg_ctl: string;
}

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** The uid and gid to run PostgreSQL's programs as: DB_USER (created if missing) when root, else this process's. */
export async function runAsFor(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const id = async (flag: string) => Number((await run('id', [flag, DB_USER])).stdout.trim());
  try {
    await run('id', [DB_USER]);
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', DB_USER]);
  }
  return { uid: await id('-u'), gid: await id('-g') };
}

/** Whether `runAs` can reach and enter (or execute) `path`: asked of the system, as that user. */
async function canReach(path: string, runAs: RunAs): Promise<boolean> {
  if (runAs.uid === undefined) return true;
  return run('test', ['-x', path], runAs).then(
    () => true,
    () => false,
  );
}

/** Where binaries are copied when, as root, the project folder is closed to the postgres user. */
export const BINARIES_CACHE = '/var/cache/image-api';
/** Where a cluster goes when, as root, DATA_DIR is closed to the postgres user and ACLs cannot open it. */
export const CLUSTERS_FALLBACK = '/var/lib/image-api';

/**
 * The PostgreSQL binaries, reachable by the user they will run as. Inside a project folder that other users
 * cannot enter (a project under /root, a `mktemp -d` folder), the `postgres` user cannot execute them from
 * node_modules: they are then copied once (bin, lib, share, keeping their relative layout) into a root-owned,
 * world-readable cache, `<cacheRoot>/postgresql-<version>`, and run from there.
 */
export async function reachableBinaries(
  bin: Binaries,
  runAs: RunAs,
  log: (message: string) => void = () => undefined,
  cacheRoot = BINARIES_CACHE,
): Promise<Binaries> {
  if (await canReach(bin.initdb, runAs)) return bin;
  const native = dirname(dirname(bin.initdb)); // …/native, with bin/, lib/ and share/
  const pkg = join(dirname(native), 'package.json');
  const version = existsSync(pkg)
    ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
    : createHash('sha256').update(native).digest('hex').slice(0, 12);
  const target = join(cacheRoot, `postgresql-${version}`);
  const complete = join(target, '.complete');
  if (!existsSync(complete)) {
    mkdirSync(cacheRoot, { recursive: true, mode: 0o755 });
    chmodSync(cacheRoot, 0o755);
    const staging = `${target}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    openToEveryone(staging);
    writeFileSync(join(staging, '.complete'), `${native}\n`, { mode: 0o644 });
    rmSync(target, { recursive: true, force: true });
    try {
      renameSync(staging, target);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true }); // another process got there first
      if (!existsSync(complete)) throw error;
    }
    log(`The PostgreSQL binaries in ${native} are out of reach of user "${DB_USER}": copied to ${target}`);
  }
  const copied = { initdb: join(target, 'bin', 'initdb'), pg_ctl: join(target, 'bin', 'pg_ctl') };
  if (!(await canReach(copied.initdb, runAs))) {
    throw new Error(`User "${DB_USER}" cannot execute ${copied.initdb} either; check the permissions of ${cacheRoot}`);
  }
  return copied;
}

/** Directories 0755-like and files readable by everyone (executables executable by everyone), recursively. */
function openToEveryone(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, stat.mode | 0o555);
    for (const entry of readdirSync(path)) openToEveryone(join(path, entry));
  } else {
    chmodSync(path, stat.mode | 0o444 | (stat.mode & 0o100 ? 0o111 : 0));
  }
}

/** The cluster's place when DATA_DIR cannot be made reachable: one per DATA_DIR, under CLUSTERS_FALLBACK. */
export function fallbackClusterDir(dataDir: string): string {
  return join(CLUSTERS_FALLBACK, `cluster-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`);
}

/**
 * Where the cluster lives: `<dataDir>/postgres`, which the `postgres` user must reach when running as root.
 * When a folder above DATA_DIR is closed to other users, it is granted traversal by ACL (`setfacl -m
 * u:postgres:x`, nothing else changes); without ACL support the cluster goes to a reachable place of its
 * own, said in a log line, while images and secrets stay in DATA_DIR.
 */
export async function clusterLocation(dataDir: string, runAs: RunAs, log: (message: string) => void): Promise<string> {
  const wanted = join(dataDir, 'postgres');
  if (runAs.uid === undefined) return wanted;
  // DATA_DIR is ours: let the postgres user pass through it (secrets.json inside stays 0600).
  chmodSync(dataDir, statSync(dataDir).mode | 0o001);
  if (await canReach(dataDir, runAs)) return wanted;
  const closed: string[] = [];
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    if (!(await canReach(dir, runAs))) closed.unshift(dir);
    if (dir === dirname(dir)) break;
  }
  try {
    for (const dir of closed) await run('setfacl', ['-m', `u:${DB_USER}:x`, dir]);
    if (await canReach(dataDir, runAs)) {
      log(`Granted user "${DB_USER}" traversal of ${closed.join(', ')} (ACL) to reach the database in ${wanted}`);
      return wanted;
    }
  } catch {
    // no setfacl, or a file system without ACLs
  }
  const elsewhere = fallbackClusterDir(dataDir);
  log(
    `User "${DB_USER}", which the embedded PostgreSQL runs as, cannot enter ${closed.join(', ')} and ACLs are not ` +
      `available (setfacl): the database cluster of DATA_DIR ${dataDir} lives in ${elsewhere} instead ` +
      `(images and secrets stay in DATA_DIR). To keep it in DATA_DIR: install acl, or chmod o+x ${closed[0]}.`,
  );
  mkdirSync(CLUSTERS_FALLBACK, { recursive: true, mode: 0o755 });
  return elsewhere;
}
