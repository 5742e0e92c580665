import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KNOWN_VARIABLES, loadConfig } from '../src/config/config.js';

interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

/**
 * docker-compose.yml cannot run here (no Docker engine), so it is checked by reading: every variable given to
 * a service built from this project is one the configuration knows, the values pass its validation, and the
 * commands are the entry points the other tests run.
 */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  };
  const services = Object.entries(compose.services);
  const ours = services.filter(([, service]) => service.build !== undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'image-api-compose-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Compose interpolation: ${X:-default} takes the default; ${X:?message} (required) gets a stand-in value. */
  const interpolate = (value: string) =>
    value
      .replace(/\$\{(\w+):-([^}]*)\}/g, (_m, _name, fallback: string) => fallback)
      .replace(/\$\{(\w+):\?[^}]*\}/g, (_m, name: string) => `stand-in-for-${name}-`.padEnd(40, 'x'));

  it('runs two API replicas and a worker from this project, next to PostgreSQL, Redis and MinIO', () => {
    expect(ours.map(([name, service]) => [name, service.command])).toEqual([
      ['api-1', ['node', 'dist/main.js']],
      ['api-2', ['node', 'dist/main.js']],
      ['worker', ['node', 'dist/worker/main.js']],
    ]);
    // the entry points exist in the build the tests run (test/scale-out.e2e-spec.ts starts both)
    for (const [, service] of ours) expect(existsSync(service.command![1]!)).toBe(true);
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'redis', 'minio', 'minio-bucket']),
    );
  });

  it('gives the application only variables that its configuration knows, with values it accepts', () => {
    for (const [name, service] of ours) {
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

  it('has health checks for the services others wait on, and creates the bucket before the app starts', () => {
    for (const name of ['postgres', 'redis', 'minio', 'api-1', 'api-2']) {
      expect({ name, healthcheck: !!compose.services[name]!.healthcheck }).toEqual({ name, healthcheck: true });
    }
    for (const [, service] of ours) {
      expect(service.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        'minio-bucket': { condition: 'service_completed_successfully' },
      });
    }
    expect(JSON.stringify(compose.services['minio-bucket'])).toContain('mc mb --ignore-existing local/images');
  });
});
