import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode } from './support/process.js';

/**
 * `npm run cli -- create-user ...` answers at once on a built checkout: no compile per call, and the CLI loads
 * the modules that create a user (config, database, users), not the HTTP application around them.
 */
describe('CLI start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'image-api-cli-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('npm scripts run the built CLI and worker without compiling first', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(Object.keys(scripts).filter((name) => /^pre(cli|start:worker)$/.test(name))).toEqual([]);
    for (const name of ['cli', 'start:worker']) {
      expect({ name, compiles: /\btsc\b/.test(scripts[name]!) }).toEqual({ name, compiles: false });
    }
  });

  const modulesLoaded = async (...args: string[]) => {
    const log = join(dir, `modules-${Math.random().toString(36).slice(2)}.log`);
    const result = await runNode('--import', ['./test/support/module-log.mjs', ...args], {
      ...process.env,
      MODULE_LOG: log,
    });
    return { result, loaded: readFileSync(log, 'utf8').split('\n') };
  };
  const UNWANTED =
    /\/(adminjs|@adminjs|sharp|@nestjs\/platform-express|@nestjs\/swagger|@aws-sdk|bullmq|express)\/|\/dist\/(app\.(module|factory)|serving\/|images\/(?!image\.entity)|admin\/)/;

  it('answers --help and bad arguments without loading Nest at all', async () => {
    const { result, loaded } = await modulesLoaded('dist/cli/main.js', '--help');
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('create-user <username>') });
    expect(loaded.filter((url) => /\/@nestjs\/|\/typeorm\//.test(url))).toEqual([]);
  });

  it('runs commands with neither the HTTP application, AdminJS, Swagger, sharp, S3 nor BullMQ', async () => {
    // What main.ts loads once the arguments are good (without running a command: no database here).
    const { result, loaded } = await modulesLoaded('--input-type=module', '-e', "await import('./dist/cli/run.js')");
    expect(result.code).toBe(0);
    expect(loaded).toEqual(expect.arrayContaining([expect.stringMatching(/\/dist\/users\/users\.service\.js$/)]));
    expect(loaded.filter((url) => UNWANTED.test(url))).toEqual([]);
  });
});
