import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { freePort } from './support/app.js';
import { childEnv, npmScriptLaunch, runNode, ServerProcess } from './support/process.js';

/**
 * Every request builds several of Node's tick objects (`process.nextTick`, called by the socket and stream code
 * on each answer). V8 stores their properties through feedback that goes from monomorphic straight to
 * megamorphic at the first map it has not seen, and then stays megamorphic: every tick object is then built
 * by a runtime call. A full collection that finds no tick object alive frees their maps and does that: the
 * server's start-up collection did, when it ran at once, and so does V8's memory reducer once a server idles
 * after some activity (seen by hand: three "Mark-Compact (reduce)" within 40 s of a load's end, and the stores
 * megamorphic after them). The links then answered about a fifth slower for the rest of the process's life
 * (bench/README, "A forced collection"). The server now keeps one tick object alive for good
 * (src/server/startup-garbage.ts). This test covers the start-up collection.
 *
 * The server runs as `npm start` runs it, plus `--allow-natives-syntax` and a module that prints
 * `process.nextTick`'s feedback (V8's %DebugPrint) on SIGUSR2, after it has served links for a while.
 */
describe('the feedback of the link path after serving', () => {
  let dataDir: string;
  let server: ServerProcess;

  afterAll(async () => {
    await server?.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the property stores of process.nextTick’s tick object monomorphic', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'image-api-feedback-'));
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const start = npmScriptLaunch('start');
    const env = childEnv({ DATA_DIR: dataDir, PORT: String(port), ...start.env });
    const probe =
      "process.on('SIGUSR2', () => { process.stdout.write('nextTick feedback:\\n'); " +
      "const print = new Function('f', '%DebugPrint(f)'); print(process.nextTick); print(process.nextTick); });";
    const flags = [
      ...start.flags,
      '--allow-natives-syntax',
      `--import=data:text/javascript,${encodeURIComponent(probe)}`,
    ];
    // To a file, not a pipe: V8 prints through C's stdout, and through a pipe the print arrived cut short after
    // its first 4 KB.
    const stdoutFile = join(dataDir, 'stdout.log');
    const stdout = openSync(stdoutFile, 'w');
    server = new ServerProcess(env, start.script, flags, stdout);
    closeSync(stdout);
    await server.ready(baseUrl);

    expect((await runNode('dist/cli/main.js', ['create-user', 'fay', '--password', 'fay-password'], env)).code).toBe(0);
    const login = await fetch(`${baseUrl}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'fay', password: 'fay-password' }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const form = new FormData();
    const jpeg = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#468' } })
      .jpeg()
      .toBuffer();
    form.append('file', new Blob([jpeg]), 'photo.jpg');
    const uploaded = await fetch(`${baseUrl}/api/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}` },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const image = (await uploaded.json()) as { links: { thumbnails: Array<{ url: string }> } };
    const link = image.links.thumbnails[0].url;

    // Long enough for V8 to optimize the hot code, in the order of a second of traffic.
    for (let round = 0; round < 40; round++) {
      const statuses = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const res = await fetch(link);
          await res.arrayBuffer();
          return res.status;
        }),
      );
      expect(new Set(statuses)).toEqual(new Set([200]));
    }

    server.child.kill('SIGUSR2');
    // C's stdout is flushed by the kilobyte: the second print pushes the whole of the first one out.
    const printed = await waitFor(() => {
      const output = readFileSync(stdoutFile, 'utf8');
      return /nextTick feedback:[\s\S]*?(DebugPrint:[\s\S]*?)DebugPrint:/.exec(output)?.[1];
    });
    const states = [...printed.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((m) => m[1]);
    // Four on Node 20 (two symbols, callback, args), five on Node 24.
    expect(states.length).toBeGreaterThanOrEqual(4);
    expect(states).toEqual(states.map(() => 'MONOMORPHIC'));
  }, 120_000);
});

async function waitFor<T>(read: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
