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

  it('imports neither the HTTP application, AdminJS, Swagger, sharp, S3 nor BullMQ', async () => {
    const log = join(dir, 'modules.log');
    const result = await runNode('--import', ['./test/support/module-log.mjs', 'dist/cli/main.js', '--help'], {
      ...process.env,
      MODULE_LOG: log,
    });
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('create-user <username>') });
    const loaded = readFileSync(log, 'utf8').split('\n');
    expect(loaded).toEqual(expect.arrayContaining([expect.stringMatching(/\/dist\/users\/users\.service\.js$/)]));
    const unwanted = loaded.filter((url) =>
      /\/(adminjs|@adminjs|sharp|@nestjs\/platform-express|@nestjs\/swagger|@aws-sdk|bullmq|express)\/|\/dist\/(app\.(module|factory)|serving\/|images\/(?!image\.entity)|admin\/)/.test(
        url,
      ),
    );
    expect(unwanted).toEqual([]);
  });
});
