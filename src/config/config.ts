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

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
    DATABASE_URL: optionalString.pipe(
      z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
    ),
    DATA_DIR: z.string().trim().min(1).default('./data'),
    STORAGE: z
      .enum(['local', 's3'])
      .default('local')
      .refine((v) => v === 'local', 's3 storage is not available in this version; use local'),
    // Refused until the BullMQ workers exist, rather than silently ignored.
    REDIS_URL: optionalString
      .pipe(z.url({ protocol: /^rediss?$/ }).optional())
      .refine(
        (v) => v === undefined,
        'BullMQ workers are not available in this version; unset it (jobs run in-process)',
      ),
    JWT_SECRET: secretList,
    LINK_SECRET: secretList,
    ACCESS_TOKEN_TTL: positiveInt(15 * 60, 24 * 3600),
    REFRESH_TOKEN_TTL: positiveInt(7 * 24 * 3600, 365 * 24 * 3600),
    MAX_UPLOAD_BYTES: positiveInt(20 * MiB, 1024 * MiB),
    MAX_INPUT_PIXELS: positiveInt(50_000_000, 1_000_000_000),
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
    if (!!env.ADMIN_USERNAME !== !!env.ADMIN_PASSWORD) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_PASSWORD'],
        message: 'ADMIN_USERNAME and ADMIN_PASSWORD go together',
      });
    }
  });

export type LogLevel = z.infer<typeof envSchema>['LOG_LEVEL'];

/** The one typed configuration, validated once at start-up. */
export class AppConfig {
  readonly env!: 'development' | 'production' | 'test';
  readonly port!: number;
  readonly publicUrl!: string;
  /** Unset: the process starts (or reuses) an embedded PostgreSQL under dataDir. */
  readonly databaseUrl?: string;
  readonly dataDir!: string;
  readonly storage!: 'local' | 's3';
  readonly redisUrl?: string;
  /** First entry signs, every entry verifies. */
  readonly jwtSecrets!: string[];
  readonly linkSecrets!: string[];
  readonly accessTokenTtl!: number;
  readonly refreshTokenTtl!: number;
  readonly maxUploadBytes!: number;
  readonly maxInputPixels!: number;
  readonly admin?: { username: string; password: string };
  readonly logLevel!: LogLevel;
  /** Express "trust proxy": false, true, a hop count, or addresses/subnets (behind a load balancer). */
  readonly trustProxy!: boolean | number | string;
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
    redisUrl: e.REDIS_URL,
    jwtSecrets: e.JWT_SECRET ?? [generated!.jwtSecret],
    linkSecrets: e.LINK_SECRET ?? [generated!.linkSecret],
    accessTokenTtl: e.ACCESS_TOKEN_TTL,
    refreshTokenTtl: e.REFRESH_TOKEN_TTL,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    maxInputPixels: e.MAX_INPUT_PIXELS,
    admin: e.ADMIN_USERNAME ? { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD! } : undefined,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    headersTimeoutMs: e.HEADERS_TIMEOUT * 1000,
    bodyIdleTimeoutMs: e.BODY_IDLE_TIMEOUT * 1000,
    requestTimeoutMs: e.REQUEST_TIMEOUT * 1000,
    maxUploadsPerUser: e.MAX_UPLOADS_PER_USER,
    maxUploadsInProgress: e.MAX_UPLOADS_IN_PROGRESS,
  });
}
