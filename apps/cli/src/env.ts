import { z } from 'zod';
import { MAX_SHARD_COUNT, parseConfig } from '@wa-dispatch/core';

/**
 * The CLI's configuration: the same variables (and defaults) as the API and
 * the worker, so an operator's shell that runs them also drives the CLI.
 * A bad value fails before anything connects, naming the variable.
 */
export const CliEnv = z
  .object({
    DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/wa_dispatch'),
    REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
    // same alphabet as the queue package's KeyLayout (no braces, no colons)
    REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default('wad'),
    /** The simulated WhatsApp world's Redis; defaults to REDIS_URL. */
    SIMULATOR_REDIS_URL: z.string().url().optional(),
    SIMULATOR_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('wad-sim'),
    SHARD_COUNT: z.coerce.number().int().min(1).max(MAX_SHARD_COUNT).default(16),
  })
  .transform((e) => ({ ...e, SIMULATOR_REDIS_URL: e.SIMULATOR_REDIS_URL ?? e.REDIS_URL }));
export type CliEnv = z.infer<typeof CliEnv>;

/** CONFIG.INVALID naming every bad variable. */
export function loadCliEnv(env: Record<string, string | undefined> = process.env): CliEnv {
  return parseConfig(CliEnv, env);
}
