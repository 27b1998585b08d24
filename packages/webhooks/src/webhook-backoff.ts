/**
 * Exponential backoff with jitter for webhook retries, as a BullMQ custom
 * strategy (`Worker` option `settings.backoffStrategy`). Delay before retry n
 * (n = attemptsMade, 1-based): d = min(maxMs, baseMs * 2^(n-1)), then "equal
 * jitter": uniform in [d/2, d]. A 429/503 `Retry-After` carried on the error
 * raises the delay to at least that (still capped at maxMs).
 */
import type { MinimalJob } from 'bullmq';

export interface WebhookBackoffOptions {
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

export const DEFAULT_WEBHOOK_BACKOFF = { baseMs: 5_000, maxMs: 3_600_000 } as const;

/** Thrown by the processor for retryable outcomes; `retryAfterMs` comes from a Retry-After header. */
export class WebhookRetryableError extends Error {
  override readonly name = 'WebhookRetryableError';
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

export function webhookBackoffDelay(attemptsMade: number, opts: WebhookBackoffOptions = {}, retryAfterMs: number | null = null): number {
  const base = opts.baseMs ?? DEFAULT_WEBHOOK_BACKOFF.baseMs;
  const max = opts.maxMs ?? DEFAULT_WEBHOOK_BACKOFF.maxMs;
  const random = opts.random ?? Math.random;
  const n = Math.max(1, Math.floor(attemptsMade));
  const ceiling = Math.min(max, base * 2 ** Math.min(n - 1, 40));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  const withHint = retryAfterMs !== null && retryAfterMs > jittered ? Math.min(max, retryAfterMs) : jittered;
  return Math.max(1, Math.round(withHint));
}

export function webhookBackoffStrategy(opts: WebhookBackoffOptions = {}) {
  return (attemptsMade: number, _type?: string, err?: Error, _job?: MinimalJob): number =>
    webhookBackoffDelay(attemptsMade, opts, err instanceof WebhookRetryableError ? err.retryAfterMs : null);
}

/** Retry-After as seconds or an HTTP date; null when absent or unparseable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
