// The second anchor for serving: nginx (one worker, its descriptor cache, no corking, sendfile off: the fastest
// this nginx answered a few-KB file here; sendfile off reads the file and sends headers and bytes in one write,
// ~15 % more a second than sendfile's extra system call) answering the same thumbnail from disk with the
// project's headers. Debian: apt-get install -y nginx-light. Skipped (with a note) when nginx is missing.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './proc.mjs';

const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';

export function hasNginx() {
  try {
    execFileSync(NGINX, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Headers nginx makes itself (or that are per connection).
const OWN = new Set(['content-type', 'content-length', 'etag', 'last-modified', 'date', 'accept-ranges', 'connection']);

/** Starts nginx serving FILE at /thumb.jpg; resolves with { url, pid (its master), stop() }. */
export async function startNginx(file, headers, contentType) {
  const prefix = mkdtempSync(join(tmpdir(), 'image-api-bench-nginx-'));
  chmodSync(prefix, 0o755); // nginx's worker (nobody when started as root) reads from here
  copyFileSync(file, join(prefix, 'thumb.jpg'));
  chmodSync(join(prefix, 'thumb.jpg'), 0o644);
  const port = await freePort();
  const extra = Object.entries(headers)
    .filter(([name]) => !OWN.has(name))
    .map(([name, value]) => `add_header ${name} "${String(value).replace(/"/g, '\\"')}" always;`)
    .join('\n        ');
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log stderr error;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile off;
  open_file_cache max=10000 inactive=60s;
  open_file_cache_valid 30s;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    location = /thumb.jpg {
        root ${prefix};
        default_type ${contentType};
        ${extra}
    }
  }
}
`,
  );
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}/thumb.jpg`;
  return { url, pid: child.pid, stop: await running(child, prefix, url, 'nginx') };
}

/** Waits until `probe` answers (any HTTP status); resolves with stop(): SIGQUIT (graceful), then removes `prefix`. */
async function running(child, prefix, probe, what) {
  for (let i = 0; ; i++) {
    if (
      await fetch(probe).then(
        () => true,
        () => false,
      )
    )
      break;
    if (child.exitCode !== null || i > 100) throw new Error(`${what} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGQUIT');
      await exited;
    }
    rmSync(prefix, { recursive: true, force: true });
  };
}

/**
 * Runs the shipped deploy/nginx.conf (the cache front) in front of the server on `upstreamPort`, changed only
 * where a bench must: its upstream's `server` lines point at that port, `listen 8080` at a free local port, its
 * cache under a temp folder, and one worker like the disk anchor above (same resources for the same work).
 * Resolves with { base, pid (its master), stop() }.
 */
export async function startFront(upstreamPort) {
  const prefix = mkdtempSync(join(tmpdir(), 'image-api-bench-front-'));
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'cache'));
  chmodSync(join(prefix, 'cache'), 0o777); // as root, nginx's workers run as nobody
  const port = await freePort();
  let servers = 0;
  const conf = readFileSync(new URL('../../deploy/nginx.conf', import.meta.url), 'utf8')
    .replace(/^(\s*)server [\w.-]+:\d+;\n/gm, (_line, indent) =>
      servers++ === 0 ? `${indent}server 127.0.0.1:${upstreamPort};\n` : '',
    )
    .replace(/listen 8080;/, `listen 127.0.0.1:${port};`)
    .replace(/worker_processes auto;/, 'worker_processes 1;')
    .replaceAll('/var/cache/nginx', join(prefix, 'cache'));
  if (servers === 0 || conf.includes('8080') || !conf.includes('worker_processes 1;')) {
    throw new Error('deploy/nginx.conf no longer has the shape this bench rewrites');
  }
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const child = spawn(
    NGINX,
    [
      '-p',
      prefix,
      '-c',
      join(prefix, 'nginx.conf'),
      '-g',
      `daemon off; pid ${prefix}/nginx.pid; error_log stderr error;`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const base = `http://127.0.0.1:${port}`;
  return { base, pid: child.pid, stop: await running(child, prefix, `${base}/api/health`, 'the nginx front') };
}
