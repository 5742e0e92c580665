import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export interface TestS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  bucket: string;
  /** The variables a process needs to use this server (STORAGE=s3 and the S3_* ones). */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A real S3-protocol server (s3rver) in this process, on a port the OS picked, with one empty bucket, storing
 * under a temp dir that close() removes. It accepts any credentials and wants path-style addressing.
 */
export async function startS3(bucket = 'images'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'image-api-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = (await server.run()) as AddressInfo;
  return testS3(port, bucket, async () => {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  });
}

/** What a test gets for an s3rver on `port`: its endpoint and the variables that point a process at it. */
function testS3(port: number, bucket: string, close: () => Promise<void>): TestS3 {
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: {
      STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    close,
  };
}

/**
 * The same server in a child process started with `--openssl-legacy-provider`: s3rver 3.7.1 makes listing
 * continuation tokens with DES, which OpenSSL 3 only has in its legacy provider, so in-process it answers 500
 * to any listing that does not fit one page. Use this one to exercise paged listings.
 */
export async function startS3Process(bucket = 'images'): Promise<TestS3> {
  const directory = mkdtempSync(join(tmpdir(), 'image-api-s3-'));
  const script = `
    const S3rver = require('s3rver');
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(directory)},
      configureBuckets: [{ name: ${JSON.stringify(bucket)}, configs: [] }] });
    server.run().then(({ port }) => console.log('port=' + port));
  `;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (data: Buffer) => {
      out += data.toString();
      const match = /port=(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
  });
  return testS3(port, bucket, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(directory, { recursive: true, force: true });
  });
}
