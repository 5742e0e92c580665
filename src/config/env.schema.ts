import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

const MiB = 1024 * 1024;

/** One entry of Express's `trust proxy` list: an address, a subnet (address/bits) or a named range. */
function isProxySpec(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length || !isIP(address)) return false;
  const max = isIP(address) === 4 ? 32 : 128;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
}

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

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Server processes (node:cluster workers) sharing PORT; 1: one process, no cluster. */
    WEB_CONCURRENCY: positiveInt(availableParallelism(), 64),
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
    // Thumbnail formats made besides the original's own, for browsers whose Accept names them: "none" for none.
    THUMBNAIL_FORMATS: optionalString.pipe(
      z
        .string()
        .default('webp,avif')
        .transform((v) =>
          v
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter((s) => s !== '' && s !== 'none'),
        )
        .pipe(z.array(z.enum(['avif', 'webp'], { error: 'each must be avif or webp (comma-separated), or none' }))),
    ),
    ADMIN_USERNAME: optionalString.pipe(z.string().max(100).optional()),
    ADMIN_PASSWORD: optionalString.pipe(z.string().min(8, 'must be at least 8 characters').optional()),
    TRUST_PROXY: z
      .string()
      .trim()
      .default('false')
      .refine((v) => v !== 'true', {
        message:
          'must name the trusted proxies: a hop count (1 = one load balancer) or their addresses/subnets; "true" would trust any X-Forwarded-For a client sends',
      })
      .refine(
        (v) => v === 'true' || v === 'false' || /^\d+$/.test(v) || v.split(',').every((p) => isProxySpec(p.trim())),
        {
          message:
            'must be false, a hop count, or a comma-separated list of addresses, subnets or loopback/linklocal/uniquelocal',
        },
      )
      .transform((v): false | number | string => (v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v)),
    LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
    // The share of successful link answers (2xx, 304) that get a request line; every other request always does.
    LOG_LINK_SAMPLE: optionalString.pipe(z.coerce.number<string | undefined>().min(0).max(1).default(1)),
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
    // Uploads in progress in one process: per user (beyond it they wait) and in total (beyond it 503).
    MAX_UPLOADS_PER_USER: positiveInt(8, 10_000),
    MAX_UPLOADS_IN_PROGRESS: positiveInt(64, 100_000),
    // A user's uploads beyond MAX_UPLOADS_PER_USER wait, their bodies unread: at most this many per user and
    // process (0: none wait), each at most this many seconds; beyond either, 429 with Retry-After.
    UPLOAD_QUEUE_PER_USER: z.coerce.number().int().min(0).max(100_000).default(64),
    UPLOAD_QUEUE_WAIT: positiveInt(60, 3600),
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
