import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const MiB = 1024 * 1024;

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** Comma-separated secrets: the first signs, all verify (rotation). */
const secretList = optionalString.pipe(
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every((s) => s.length >= 32), 'each secret must be at least 32 characters')
    .optional(),
);

const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

const booleanString = z.enum(['true', 'false']).transform((v) => v === 'true');

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    DATABASE_URL: optionalString.pipe(
      z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
    ),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    STORAGE: z.enum(['local', 's3']).default('local'),
    S3_BUCKET: optionalString.pipe(z.string().max(63).optional()),
    S3_ENDPOINT: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    S3_REGION: optionalString.pipe(z.string().default('us-east-1')),
    S3_ACCESS_KEY_ID: optionalString,
    S3_SECRET_ACCESS_KEY: optionalString,
    S3_FORCE_PATH_STYLE: optionalString.pipe(booleanString.optional()),
    REDIS_URL: optionalString.pipe(
      z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
    ),
    QUEUE_PREFIX: optionalString.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." and "-" only (1 to 64)')
        .default('image-api'),
    ),
    WORKER_CONCURRENCY: positiveInt(2, 64),
    JOB_LOCK_MS: positiveInt(30_000, 3_600_000).pipe(z.number().min(1000)),
    JWT_SECRET: secretList,
    LINK_SECRET: secretList,
    ACCESS_TOKEN_TTL: positiveInt(15 * 60, 24 * 3600),
    REFRESH_TOKEN_TTL: positiveInt(7 * 24 * 3600, 365 * 24 * 3600),
    MAX_UPLOAD_BYTES: positiveInt(20 * MiB, 1024 * MiB),
    MAX_INPUT_PIXELS: positiveInt(50_000_000, 1_000_000_000),
    MEDIA_CACHE_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .max(16 * 1024 * MiB)
      .default(64 * MiB),
    MEDIA_CACHE_FILE_BYTES: positiveInt(256 * 1024, 64 * MiB),
    ADMIN_USERNAME: optionalString.pipe(z.string().max(100).optional()),
    ADMIN_PASSWORD: optionalString.pipe(z.string().min(8, 'must be at least 8 characters').optional()),
    TRUST_PROXY: z
      .string()
      .trim()
      .default('false')
      .transform((v): boolean | number | string =>
        v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v,
      ),
    LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    METRICS_PORT: optionalString.pipe(z.coerce.number<string | undefined>().int().min(0).max(65535).optional()),
    METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
    // PostgreSQL timeouts (milliseconds): a database that is gone or frozen answers 503 within seconds.
    DB_CONNECT_TIMEOUT_MS: positiveInt(3000, 600_000),
    DB_STATEMENT_TIMEOUT_MS: positiveInt(5000, 3_600_000),
    DB_LOCK_TIMEOUT_MS: positiveInt(3000, 3_600_000),
    // Slow clients (seconds): headers must be complete this long after the connection opens; a body that
    // sends nothing this long is cut; a request body other than an upload must be complete this long after
    // its headers (an upload has no deadline while it keeps moving).
    HEADERS_TIMEOUT: positiveInt(20, 3600),
    BODY_IDLE_TIMEOUT: positiveInt(30, 3600),
    REQUEST_TIMEOUT: positiveInt(60, 24 * 3600),
    // Uploads in progress in one process: per user (beyond it 429) and in total (beyond it 503).
    MAX_UPLOADS_PER_USER: positiveInt(8, 10_000),
    MAX_UPLOADS_IN_PROGRESS: positiveInt(64, 100_000),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      for (const key of ['JWT_SECRET', 'LINK_SECRET'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when NODE_ENV=production' });
      }
    }
    if (env.STORAGE === 's3' && !env.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'is required when STORAGE=s3' });
    }
    if (!!env.S3_ACCESS_KEY_ID !== !!env.S3_SECRET_ACCESS_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['S3_SECRET_ACCESS_KEY'],
        message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together',
      });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_PORT'],
        message: 'must differ from PORT (never the public port)',
      });
    }
    if (!!env.ADMIN_USERNAME !== !!env.ADMIN_PASSWORD) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_PASSWORD'],
        message: 'ADMIN_USERNAME and ADMIN_PASSWORD go together',
      });
    }
  });

export type LogLevel = z.infer<typeof envSchema>['LOG_LEVEL'];

/**
 * Every environment variable the application reads: the validated ones above plus those AdminJS reads itself
 * (see src/admin/admin-env.ts). docker-compose.yml is checked against this list by a test.
 */
export const KNOWN_VARIABLES: readonly string[] = [
  ...Object.keys(envSchema.shape),
  'ADMIN_JS_TMP_DIR',
  'ADMIN_JS_WATCH',
  'ADMIN_JS_SKIP_BUNDLE',
];

export interface S3Config {
  bucket: string;
  /** Unset: AWS S3 itself. */
  endpoint?: string;
  region: string;
  /** Unset: the SDK's default credential chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
}

export interface QueueConfig {
  redisUrl: string;
  /** Redis key prefix: one per deployment (and per test run) sharing a Redis. */
  prefix: string;
  /** Jobs one worker process runs at once. */
  concurrency: number;
  /** A job whose worker stops renewing its lock (killed) is taken up again after about this long. */
  lockMs: number;
}

/** The one typed configuration, validated once at start-up. */
export class AppConfig {
  readonly env!: 'development' | 'production' | 'test';
  readonly port!: number;
  readonly publicUrl!: string;
  /** Unset: the process starts (or reuses) an embedded PostgreSQL under dataDir. */
  readonly databaseUrl?: string;
  readonly dataDir!: string;
  readonly storage!: 'local' | 's3';
  /** Set when storage is 's3'. */
  readonly s3?: S3Config;
  readonly redisUrl?: string;
  /** Set with REDIS_URL: thumbnail jobs go through BullMQ to `npm run start:worker` processes. */
  readonly queue?: QueueConfig;
  /** First entry signs, every entry verifies. */
  readonly jwtSecrets!: string[];
  readonly linkSecrets!: string[];
  readonly accessTokenTtl!: number;
  readonly refreshTokenTtl!: number;
  readonly maxUploadBytes!: number;
  readonly maxInputPixels!: number;
  /** Memory for hot small files on the serving path (0: none), and the largest file kept there. */
  readonly mediaCacheBytes!: number;
  readonly mediaCacheFileBytes!: number;
  readonly admin?: { username: string; password: string };
  readonly logLevel!: LogLevel;
  /** Express "trust proxy": false, true, a hop count, or addresses/subnets (behind a load balancer). */
  readonly trustProxy!: boolean | number | string;
  /** Prometheus text at /metrics on this port (0: any free port); unset: no metrics server. */
  readonly metricsPort?: number;
  readonly metricsHost!: string;
  /** PostgreSQL connection, statement and lock timeouts in milliseconds. */
  readonly dbTimeouts!: { connectMs: number; statementMs: number; lockMs: number };
  /** Slow-client limits, in milliseconds (see src/common/server-limits.ts). */
  readonly headersTimeoutMs!: number;
  readonly bodyIdleTimeoutMs!: number;
  readonly requestTimeoutMs!: number;
  readonly maxUploadsPerUser!: number;
  readonly maxUploadsInProgress!: number;

  constructor(values: Omit<AppConfig, 'with'>) {
    Object.assign(this, values);
  }

  with(overrides: Partial<AppConfig>): AppConfig {
    return new AppConfig({ ...this, ...overrides });
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type GeneratedSecrets = { jwtSecret: string; linkSecret: string; databasePassword: string };

/**
 * Secrets that were not configured are generated once and kept under DATA_DIR (mode 0600),
 * so tokens and links survive restarts of a development install.
 */
export function loadGeneratedSecrets(dataDir: string): GeneratedSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as GeneratedSecrets;
  mkdirSync(dataDir, { recursive: true });
  const secrets: GeneratedSecrets = {
    jwtSecret: randomBytes(32).toString('base64url'),
    linkSecret: randomBytes(32).toString('base64url'),
    databasePassword: randomBytes(18).toString('base64url'),
  };
  try {
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
    return secrets;
  } catch (error) {
    // Another process (the CLI, a second server) wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadGeneratedSecrets(dataDir);
    throw error;
  }
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  const generated = !e.JWT_SECRET || !e.LINK_SECRET ? loadGeneratedSecrets(dataDir) : undefined;
  return new AppConfig({
    env: e.NODE_ENV,
    port: e.PORT,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    databaseUrl: e.DATABASE_URL,
    dataDir,
    storage: e.STORAGE,
    s3:
      e.STORAGE === 's3'
        ? {
            bucket: e.S3_BUCKET!,
            endpoint: e.S3_ENDPOINT,
            region: e.S3_REGION,
            credentials: e.S3_ACCESS_KEY_ID
              ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY! }
              : undefined,
            forcePathStyle: e.S3_FORCE_PATH_STYLE ?? !!e.S3_ENDPOINT,
          }
        : undefined,
    redisUrl: e.REDIS_URL,
    queue: e.REDIS_URL
      ? { redisUrl: e.REDIS_URL, prefix: e.QUEUE_PREFIX, concurrency: e.WORKER_CONCURRENCY, lockMs: e.JOB_LOCK_MS }
      : undefined,
    jwtSecrets: e.JWT_SECRET ?? [generated!.jwtSecret],
    linkSecrets: e.LINK_SECRET ?? [generated!.linkSecret],
    accessTokenTtl: e.ACCESS_TOKEN_TTL,
    refreshTokenTtl: e.REFRESH_TOKEN_TTL,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    maxInputPixels: e.MAX_INPUT_PIXELS,
    mediaCacheBytes: e.MEDIA_CACHE_BYTES,
    mediaCacheFileBytes: e.MEDIA_CACHE_FILE_BYTES,
    admin: e.ADMIN_USERNAME ? { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD! } : undefined,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    dbTimeouts: {
      connectMs: e.DB_CONNECT_TIMEOUT_MS,
      statementMs: e.DB_STATEMENT_TIMEOUT_MS,
      lockMs: e.DB_LOCK_TIMEOUT_MS,
    },
    headersTimeoutMs: e.HEADERS_TIMEOUT * 1000,
    bodyIdleTimeoutMs: e.BODY_IDLE_TIMEOUT * 1000,
    requestTimeoutMs: e.REQUEST_TIMEOUT * 1000,
    maxUploadsPerUser: e.MAX_UPLOADS_PER_USER,
    maxUploadsInProgress: e.MAX_UPLOADS_IN_PROGRESS,
  });
}

/** For entry points: the configuration, or the list of every bad variable on stderr and exit code 1. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
