import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/app.js';
import { childEnv, runNode, ServerProcess } from './support/process.js';

/**
 * The real thing, as a user runs it: `node dist/main.js` with no DATABASE_URL (embedded PostgreSQL under
 * DATA_DIR), the CLI next to it, Ctrl-C, kill -9 and restarts.
 */
describe('server and CLI processes on an embedded PostgreSQL', () => {
  let dataDir: string;
  let port: number;
  let baseUrl: string;
  let env: NodeJS.ProcessEnv;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'image-api-process-'));
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    env = childEnv({ DATA_DIR: dataDir, PORT: String(port) });
  });

  afterAll(async () => {
    await server?.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    server = new ServerProcess(env);
    await server.ready(baseUrl);
    return server;
  };
  const cli = (...args: string[]) => runNode('dist/cli/main.js', args, env);
  const login = (username: string, password: string) =>
    fetch(`${baseUrl}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  const me = async (accessToken: string) =>
    (await fetch(`${baseUrl}/api/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } })).json();
  const postmasterRunning = () => existsSync(join(dataDir, 'postgres', 'postmaster.pid'));

  it('creates a user with the CLI when no server runs (the CLI starts and stops the database itself)', async () => {
    const result = await cli('create-user', 'carol', '--password', 'carol-password', '--admin');
    expect(result).toMatchObject({ code: 0, stdout: 'Created user carol (tier Basic, admin)\n' });
    expect(postmasterRunning()).toBe(false);
  });

  it('serves, and the CLI uses the running server’s database: create, then update with tokens still valid', async () => {
    await start();
    const created = await cli('create-user', 'alice', '--password', 'secret12', '--tier', 'Premium');
    expect(created).toMatchObject({ code: 0, stdout: 'Created user alice (tier Premium)\n' });

    const res = await login('alice', 'secret12');
    expect(res.status).toBe(200);
    const { accessToken } = (await res.json()) as { accessToken: string };
    expect(await me(accessToken)).toMatchObject({
      username: 'alice',
      tier: { name: 'Premium', thumbnailHeights: [200, 400] },
    });

    const updated = await cli('create-user', 'alice', '--password', 'secret34', '--tier', 'Enterprise');
    expect(updated).toMatchObject({ code: 0, stdout: 'Updated user alice (tier Enterprise)\n' });
    // the token issued before the update still works, and shows the new tier at once
    expect(await me(accessToken)).toMatchObject({ tier: { name: 'Enterprise', expiringLinks: true } });
    expect((await login('alice', 'secret12')).status).toBe(401);
    expect((await login('alice', 'secret34')).status).toBe(200);
  });

  it('runs side by side with a second server on another DATA_DIR (each embedded database on its own port)', async () => {
    const otherDir = mkdtempSync(join(tmpdir(), 'image-api-process-2-'));
    const otherPort = await freePort();
    const other = new ServerProcess(childEnv({ DATA_DIR: otherDir, PORT: String(otherPort) }));
    try {
      await other.ready(`http://127.0.0.1:${otherPort}`);
      expect((await fetch(`${baseUrl}/api/health`)).status).toBe(200);
      const portOf = (dir: string) => readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3];
      expect(portOf(otherDir)).not.toBe(portOf(dataDir));
    } finally {
      expect(await other.stop('SIGTERM')).toBe(0);
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('refuses bad CLI input with a clear message', async () => {
    const unknownTier = await cli('create-user', 'dave', '--password', 'dave-password', '--tier', 'Gold');
    expect(unknownTier.code).toBe(1);
    expect(unknownTier.stderr).toContain('Unknown tier "Gold"; known tiers: Basic, Enterprise, Premium');
    const noPassword = await cli('create-user', 'dave');
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('--password must be at least 8 characters');
    expect((await login('dave', 'dave-password')).status).toBe(401);
  });

  it('stops cleanly on SIGINT and keeps the data across a restart', async () => {
    expect(await server!.stop('SIGINT')).toBe(0);
    expect(postmasterRunning()).toBe(false);
    await start();
    expect((await login('alice', 'secret34')).status).toBe(200);
    expect((await login('carol', 'carol-password')).status).toBe(200);
  });

  it('comes back up after kill -9 (the orphaned PostgreSQL is stopped and started again)', async () => {
    await server!.stop('SIGKILL');
    const orphanPid = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(() => process.kill(orphanPid, 0)).not.toThrow();
    await start();
    expect((await login('alice', 'secret34')).status).toBe(200);
  });

  it('stops with a list of what is wrong when the configuration is bad', async () => {
    const result = await runNode('dist/main.js', [], { ...env, PORT: 'eighty', MAX_INPUT_PIXELS: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid configuration:');
    expect(result.stderr).toMatch(/PORT: .*number/);
    expect(result.stderr).toMatch(/MAX_INPUT_PIXELS: /);
  });
});
