import { z } from 'zod';
import { DEV_WEBHOOK_SECRET_KEY, isSecretKey } from '@wa-dispatch/webhooks';

/** Byte sizes as body-parser reads them ("300kb", "1mb", or a plain byte count). */
const BYTE_SIZE = /^[0-9]+(b|kb|mb)?$/i;

/**
 * The API's whole configuration, validated at boot by `parseConfig` so a bad
 * value stops the process naming the variable. There is deliberately no
 * default operator password and no default admin key.
 */
export const ApiEnv = z.object({
  // the local database README's first command migrates; set it explicitly in production
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/wa_dispatch'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  // same alphabet as the queue package's KeyLayout (no braces, no colons)
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default('wad'),
  SHARD_COUNT: z.coerce.number().int().min(1).max(1024).default(16),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Bootstrap admin key (any string of 32+ chars); compared by hash in constant time. */
  ADMIN_API_KEY: z.string().min(32).optional(),
  /** Enables Bull Board (and Basic auth on /metrics); without it the board is not mounted. */
  OPERATOR_PASSWORD: z.string().min(8).optional(),
  OPERATOR_USER: z.string().min(1).max(128).regex(/^[^:]+$/, 'must not contain ":"').default('operator'),
  // 65,536 characters of UTF-8 text can take ~256 KiB, plus JSON escaping slack
  BODY_LIMIT: z.string().regex(BYTE_SIZE, 'a size like "300kb"').default('300kb'),
  // on: spread each tenant's new jobs over time by its rate at enqueue (fairness, issue 4;
  // packages/queue/src/pacing/enqueue-admission.ts). Set it like the workers' PACING:
  // with PACING=off workers, admission would still space a tenant's jobs at its limits.
  PACING: z.enum(['on', 'off']).default('on'),
  // Tenant webhooks (issue 6): the key sealing signing secrets at rest, the same as the
  // workers'. The default is for development only: SET A SECRET IN PRODUCTION.
  WEBHOOK_SECRET_KEY: z.string().refine(isSecretKey, 'must be 32 bytes: 64 hex digits or 43-44 base64 characters').default(DEV_WEBHOOK_SECRET_KEY),
  // true: webhook URLs on loopback/private addresses are accepted (tests, private installs); set it like the workers'.
  WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  // attempts of a replayed delivery's series (set it like the workers' WEBHOOK_ATTEMPTS)
  WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ApiEnv = z.infer<typeof ApiEnv>;
