import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

const made: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'image-api-config-'));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const secret = 'x'.repeat(32);

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ DATA_DIR: dataDir(), ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has working defaults', () => {
    const config = loadConfig({ DATA_DIR: dataDir() });
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      databaseUrl: undefined,
      storage: 'local',
      maxUploadBytes: 20 * 1024 * 1024,
      maxInputPixels: 50_000_000,
      accessTokenTtl: 900,
      refreshTokenTtl: 7 * 24 * 3600,
      trustProxy: false,
    });
  });

  it('WEB_CONCURRENCY: the available parallelism by default, 1 to 64', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).webConcurrency).toBe(availableParallelism());
    expect(loadConfig({ DATA_DIR: dataDir(), WEB_CONCURRENCY: '1' }).webConcurrency).toBe(1);
    expect(problems({ WEB_CONCURRENCY: '0' })).toEqual([expect.stringMatching(/^WEB_CONCURRENCY: /)]);
    expect(problems({ WEB_CONCURRENCY: 'all' })).toEqual([expect.stringMatching(/^WEB_CONCURRENCY: /)]);
  });

  it('lists every bad variable with what is allowed', () => {
    const list = problems({
      PORT: 'eighty',
      MAX_UPLOAD_BYTES: '-1',
      DATABASE_URL: 'mysql://x',
      STORAGE: 'ftp',
      REDIS_URL: 'http://127.0.0.1:6379',
    });
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^MAX_UPLOAD_BYTES: /),
        expect.stringMatching(/^DATABASE_URL: must be a postgres/),
        expect.stringMatching(/^STORAGE: .*local.*s3/),
        expect.stringMatching(/^REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/),
      ]),
    );
  });

  it('requires JWT_SECRET and LINK_SECRET in production, and long enough', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([
      'JWT_SECRET: is required when NODE_ENV=production',
      'LINK_SECRET: is required when NODE_ENV=production',
    ]);
    expect(problems({ NODE_ENV: 'production', JWT_SECRET: 'short', LINK_SECRET: secret })).toEqual([
      'JWT_SECRET: each secret must be at least 32 characters',
    ]);
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: secret,
      LINK_SECRET: `${secret}a, ${secret}b`,
      DATA_DIR: dataDir(),
    });
    expect(config.linkSecrets).toEqual([`${secret}a`, `${secret}b`]);
  });

  it('generates missing secrets once and keeps them under DATA_DIR', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(first.jwtSecrets[0]).toHaveLength(43);
    expect(second.jwtSecrets).toEqual(first.jwtSecrets);
    expect(second.linkSecrets).toEqual(first.linkSecrets);
    expect(first.jwtSecrets[0]).not.toEqual(first.linkSecrets[0]);
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')).jwtSecret).toBe(first.jwtSecrets[0]);
  });

  it('takes ADMIN_USERNAME and ADMIN_PASSWORD together only', () => {
    expect(problems({ ADMIN_USERNAME: 'root' })).toEqual([
      'ADMIN_PASSWORD: ADMIN_USERNAME and ADMIN_PASSWORD go together',
    ]);
    expect(loadConfig({ DATA_DIR: dataDir(), ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'long-enough' }).admin).toEqual({
      username: 'root',
      password: 'long-enough',
    });
  });

  it('keeps local storage and in-process jobs by default', () => {
    const config = loadConfig({ DATA_DIR: dataDir() });
    expect(config.s3).toBeUndefined();
    expect(config.queue).toBeUndefined();
  });

  it('takes S3 settings: bucket required, region and path style defaulted, keys together', () => {
    expect(problems({ STORAGE: 's3' })).toEqual(['S3_BUCKET: is required when STORAGE=s3']);
    expect(problems({ STORAGE: 's3', S3_BUCKET: 'images', S3_ACCESS_KEY_ID: 'key' })).toEqual([
      'S3_SECRET_ACCESS_KEY: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together',
    ]);
    expect(problems({ STORAGE: 's3', S3_BUCKET: 'images', S3_FORCE_PATH_STYLE: 'yes' })).toEqual([
      expect.stringMatching(/^S3_FORCE_PATH_STYLE: /),
    ]);
    expect(loadConfig({ DATA_DIR: dataDir(), STORAGE: 's3', S3_BUCKET: 'images' }).s3).toEqual({
      bucket: 'images',
      endpoint: undefined,
      region: 'us-east-1',
      credentials: undefined,
      forcePathStyle: false,
    });
    const minio = loadConfig({
      DATA_DIR: dataDir(),
      STORAGE: 's3',
      S3_BUCKET: 'images',
      S3_ENDPOINT: 'http://minio:9000',
      S3_REGION: 'eu-west-1',
      S3_ACCESS_KEY_ID: 'key',
      S3_SECRET_ACCESS_KEY: 'secret',
    });
    expect(minio.s3).toEqual({
      bucket: 'images',
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      forcePathStyle: true,
    });
    const virtualHosted = { STORAGE: 's3', S3_BUCKET: 'b', S3_ENDPOINT: 'https://s3.example.com' };
    expect(loadConfig({ DATA_DIR: dataDir(), ...virtualHosted, S3_FORCE_PATH_STYLE: 'false' }).s3?.forcePathStyle).toBe(
      false,
    );
  });

  it('takes REDIS_URL with a queue prefix, worker concurrency and job lock', () => {
    expect(loadConfig({ DATA_DIR: dataDir(), REDIS_URL: 'redis://127.0.0.1:6379/2' }).queue).toEqual({
      redisUrl: 'redis://127.0.0.1:6379/2',
      prefix: 'image-api',
      concurrency: 2,
      lockMs: 30_000,
    });
    expect(problems({ REDIS_URL: 'redis://r', QUEUE_PREFIX: 'a b', JOB_LOCK_MS: '10' })).toEqual([
      expect.stringMatching(/^QUEUE_PREFIX: /),
      expect.stringMatching(/^JOB_LOCK_MS: /),
    ]);
  });

  it('takes METRICS_PORT (unset: no metrics), METRICS_HOST and the database timeouts', () => {
    expect(loadConfig({ DATA_DIR: dataDir() })).toMatchObject({
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
      dbTimeouts: { connectMs: 3000, statementMs: 5000, lockMs: 3000 },
    });
    expect(
      loadConfig({
        DATA_DIR: dataDir(),
        METRICS_PORT: '9464',
        METRICS_HOST: '0.0.0.0',
        DB_CONNECT_TIMEOUT_MS: '1000',
        DB_STATEMENT_TIMEOUT_MS: '2000',
        DB_LOCK_TIMEOUT_MS: '500',
      }),
    ).toMatchObject({
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      dbTimeouts: { connectMs: 1000, statementMs: 2000, lockMs: 500 },
    });
    expect(problems({ METRICS_PORT: '3000', PORT: '3000' })).toEqual([
      'METRICS_PORT: must differ from PORT (never the public port)',
    ]);
    expect(problems({ METRICS_PORT: 'x', DB_STATEMENT_TIMEOUT_MS: '0' })).toEqual([
      expect.stringMatching(/^METRICS_PORT: /),
      expect.stringMatching(/^DB_STATEMENT_TIMEOUT_MS: /),
    ]);
  });

  it('takes THUMBNAIL_FORMATS: WebP and AVIF by default, best first, "none" for none, nothing unknown', () => {
    const formats = (value?: string) =>
      loadConfig({ DATA_DIR: dataDir(), ...(value === undefined ? {} : { THUMBNAIL_FORMATS: value }) })
        .thumbnailFormats;
    expect(formats()).toEqual(['avif', 'webp']);
    expect(formats('')).toEqual(['avif', 'webp']);
    expect(formats('webp')).toEqual(['webp']);
    expect(formats(' WebP , avif,webp ')).toEqual(['avif', 'webp']);
    expect(formats('none')).toEqual([]);
    expect(problems({ THUMBNAIL_FORMATS: 'webp,gif' })).toEqual([
      'THUMBNAIL_FORMATS.1: each must be avif or webp (comma-separated), or none',
    ]);
  });

  it('takes LOG_LINK_SAMPLE from 0 to 1: every link answer logged by default', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).logLinkSample).toBe(1);
    expect(loadConfig({ DATA_DIR: dataDir(), LOG_LINK_SAMPLE: '0.01' }).logLinkSample).toBe(0.01);
    expect(loadConfig({ DATA_DIR: dataDir(), LOG_LINK_SAMPLE: '0' }).logLinkSample).toBe(0);
    expect(loadConfig({ DATA_DIR: dataDir(), LOG_LINK_SAMPLE: '' }).logLinkSample).toBe(1);
    for (const bad of ['1.5', '-0.1', 'some']) {
      expect(problems({ LOG_LINK_SAMPLE: bad })).toEqual([expect.stringMatching(/^LOG_LINK_SAMPLE: /)]);
    }
  });

  it('derives PUBLIC_URL from PORT and trims a trailing slash', () => {
    expect(loadConfig({ DATA_DIR: dataDir(), PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ DATA_DIR: dataDir(), PUBLIC_URL: 'https://img.example.com/' }).publicUrl).toBe(
      'https://img.example.com',
    );
  });

  it('takes TRUST_PROXY as a hop count or addresses, never "trust every hop"', () => {
    const trust = (v: string) => loadConfig({ DATA_DIR: dataDir(), TRUST_PROXY: v }).trustProxy;
    expect(trust('1')).toBe(1);
    expect(trust('false')).toBe(false);
    expect(trust('10.0.0.1, 192.168.0.0/16,loopback')).toBe('10.0.0.1, 192.168.0.0/16,loopback');
    expect(problems({ TRUST_PROXY: 'true' })).toEqual([expect.stringMatching(/^TRUST_PROXY: must name the trusted/)]);
    expect(problems({ TRUST_PROXY: '10.0.0.0/33' })).toEqual([expect.stringMatching(/^TRUST_PROXY:/)]);
    expect(problems({ TRUST_PROXY: 'everyone' })).toEqual([expect.stringMatching(/^TRUST_PROXY:/)]);
  });
});
