// Processes of the bench: the servers under test, baseline servers and clients, and their memory.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A free port from the OS (never a guess in the client port range: STACK.md trap 14). */
export async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

const status = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8');
const kib = (pid, field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status(pid))[1]);
/** Resident memory now, in MiB. */
export const rssMiB = (pid) => kib(pid, 'VmRSS') / 1024;
/** Peak resident memory (VmHWM) since start or the last resetPeak, in MiB. */
export const peakMiB = (pid) => kib(pid, 'VmHWM') / 1024;
/** Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs). */
export const resetPeak = (pid) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** Starts a Node script that prints one JSON line once it listens ({port}); resolves with {child, port}. */
export async function startNodeServer(script, args = [], env = process.env) {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let buffer = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      buffer += d;
      const line = buffer.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.on('exit', (code) => reject(new Error(`${script} exited ${code} before listening`)));
  });
  return { child, port };
}

/** Runs a Node script to its end and parses the JSON it prints last. */
export async function runNodeJson(script, args = [], env = process.env) {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`${script} exited ${code}: ${out}`);
  return JSON.parse(out.trim().split('\n').pop());
}

export async function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** CPU time a process has used so far (user + system, all threads), in ms. */
export function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // USER_HZ on Linux
