import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_RECIPIENT_HASH_KEY } from '@wa-dispatch/queue';
import { DEV_WEBHOOK_SECRET_KEY, isSecretKey } from '@wa-dispatch/webhooks';

/** The worker's whole configuration; a bad value stops boot naming the variable. */
export const WorkerEnv = z.object({
  // the local database README's first command migrates; set it explicitly in production
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/wa_dispatch'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('wad'),
  SHARD_COUNT: z.coerce.number().int().min(1).max(1024).default(16),
  LEASE_TTL_MS: z.coerce.number().int().min(500).max(600_000).default(10_000),
  WORKER_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default(() => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
  /** Hot-path PostgreSQL connections per worker process (3 more go to Prisma, 3 to relaxed writes). */
  DB_POOL_MAX: z.coerce.number().int().min(2).max(200).default(12),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(10),
  WHATSAPP_TRANSPORT: z.enum(['simulator', 'baileys']).default('simulator'),
  BAILEYS_CONNECT_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
  SIMULATOR_REDIS_URL: z.string().url().optional(),
  SIMULATOR_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('wad-sim'),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(200).default(30_000),
  RECONCILE_MIN_AGE_MS: z.coerce.number().int().min(0).default(5_000),
  // HMAC key for the recipient hashes pacing keeps in Redis (per-recipient spacing,
  // known contacts). The default is for development only: SET A SECRET IN PRODUCTION
  // (changing it later forgets who was already contacted; see docs/operations.md).
  RECIPIENT_HASH_KEY: z.string().min(16).default(DEFAULT_RECIPIENT_HASH_KEY),
  // off: no rate / recipient-spacing / first-contact pacing (tests and benchmarks that are not
  // about pacing). The kill switch, tenant pauses and the restriction breaker still apply.
  PACING: z.enum(['on', 'off']).default('on'),
  // How long a worker believes a tenant's limits (PATCH applies within this) and its pause flag.
  PACING_LIMITS_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  TENANT_PAUSE_CACHE_MS: z.coerce.number().int().min(0).max(10_000).default(250),
  // How often dispatch_switches (Postgres) is compared with the Redis copy and re-asserted.
  SWITCH_SYNC_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  // Tenant webhooks (issue 6; docs/operations.md "Webhooks"). WEBHOOK_SECRET_KEY seals the
  // signing secrets at rest (32 bytes, hex or base64; the API needs the same key). The
  // default is for development only: SET A SECRET IN PRODUCTION (changing it later makes
  // every stored secret unreadable until each tenant rotates its secret).
  WEBHOOK_SECRET_KEY: z.string().refine(isSecretKey, 'must be 32 bytes: 64 hex digits or 43-44 base64 characters').default(DEV_WEBHOOK_SECRET_KEY),
  // true: deliver to loopback/private addresses (tests, private installs). Never in a shared deployment.
  WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  WEBHOOK_BACKOFF_BASE_MS: z.coerce.number().int().min(1).max(3_600_000).default(5_000),
  WEBHOOK_BACKOFF_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(3_600_000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(8),
  // How long a worker believes a tenant's subscribed event types (a PUT applies within this).
  WEBHOOK_SUBSCRIPTION_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  // Pending deliveries untouched this long are re-enqueued (lost job: failed enqueue, Redis flush).
  WEBHOOK_SWEEP_INTERVAL_MS: z.coerce.number().int().min(200).max(3_600_000).default(30_000),
  WEBHOOK_SWEEP_MIN_AGE_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  // Reminder schedules: Job Schedulers are reconciled against Postgres at start and this often.
  REMINDER_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(300_000),
  REMINDER_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(4),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;
