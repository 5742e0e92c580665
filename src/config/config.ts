import { resolve } from 'node:path';
import { envSchema, type LogLevel } from './env.schema.js';
import { loadGeneratedSecrets } from './generated-secrets.js';

export { KNOWN_VARIABLES, type LogLevel } from './env.schema.js';
export { loadGeneratedSecrets } from './generated-secrets.js';

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
  /** Server processes answering on PORT (node:cluster workers under one primary); 1: one process. */
  readonly webConcurrency!: number;
  /**
   * Set in a cluster worker: its primary has run the migrations and the seed before forking, so the worker
   * skips both (and leaves METRICS_PORT to the primary).
   */
  readonly databaseReady?: boolean;
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
  /** Thumbnail formats made besides the original's own (THUMBNAIL_FORMATS), best first, no repeats. */
  readonly thumbnailFormats!: ReadonlyArray<'avif' | 'webp'>;
  readonly admin?: { username: string; password: string };
  readonly logLevel!: LogLevel;
  /**
   * The share (0 to 1) of successful link answers (2xx, 304, not aborted) that are logged (LOG_LINK_SAMPLE): every
   * one by default; errors, aborted links and every other request are always logged.
   */
  readonly logLinkSample!: number;
  /** Express "trust proxy": false, a hop count, or addresses/subnets (never "every hop"). */
  readonly trustProxy!: false | number | string;
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
  /** A user's uploads beyond maxUploadsPerUser that may wait (bodies unread), and for how long. */
  readonly uploadQueue!: { perUser: number; waitMs: number };

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
    webConcurrency: e.WEB_CONCURRENCY,
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
    thumbnailFormats: (['avif', 'webp'] as const).filter((format) => e.THUMBNAIL_FORMATS.includes(format)),
    admin: e.ADMIN_USERNAME ? { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD! } : undefined,
    logLevel: e.LOG_LEVEL,
    logLinkSample: e.LOG_LINK_SAMPLE,
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
    uploadQueue: { perUser: e.UPLOAD_QUEUE_PER_USER, waitMs: e.UPLOAD_QUEUE_WAIT * 1000 },
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
