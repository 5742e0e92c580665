import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export { type NodeLaunch, npmScriptLaunch } from '../../scripts/npm-script.mjs';

/**
 * The environment of a child server or CLI: no DATABASE_URL, so it uses the embedded PostgreSQL; one server
 * process unless WEB_CONCURRENCY is given (test/cluster.e2e-spec.ts runs the cluster).
 */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    WEB_CONCURRENCY: '1',
    ...extra,
  };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'STORAGE', 'PUBLIC_URL', 'JWT_SECRET', 'LINK_SECRET'])
    delete env[key];
  delete env.NODE_OPTIONS;
  return env;
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runNode(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  // 'close', not 'exit': the child's last writes to its pipes may still be unread when it exits.
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

export class ServerProcess {
  readonly child: ChildProcess;
  output = '';

  /** `stdoutFd`: the process's stdout goes there instead of to `output` (a file: see hot-path-feedback). */
  constructor(env: NodeJS.ProcessEnv, script = 'dist/main.js', nodeFlags: readonly string[] = [], stdoutFd?: number) {
    this.child = spawn(process.execPath, [...nodeFlags, script], {
      env,
      stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
  }

  /** Resolves once GET /api/health answers 200; rejects if the process exits first or after the timeout. */
  async ready(baseUrl: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`server exited (${this.child.exitCode}):\n${this.output}`);
      const ok = await fetch(`${baseUrl}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Resolves once the output matches; rejects if the process exits first or after the timeout. */
  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.output)) {
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}):\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }
}
