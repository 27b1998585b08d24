/**
 * What WhatsApp can do to a tenant's account, and how long the breaker holds
 * when the transport does not say:
 *   restricted       account restricted: stop all sends (default 24 h);
 *   rate_limited     `rate-overlimit` / 429: back the tenant off (default 15 min);
 *   reachout_locked  463 reach-out time-lock: stop first contacts only (default 24 h).
 */
export const RESTRICTION_KINDS = ['restricted', 'rate_limited', 'reachout_locked'] as const;
export type RestrictionKind = (typeof RESTRICTION_KINDS)[number];

export const DEFAULT_RESTRICTION_BACKOFF_MS: Readonly<Record<RestrictionKind, number>> = Object.freeze({
  restricted: 24 * 3_600_000,
  rate_limited: 15 * 60_000,
  reachout_locked: 24 * 3_600_000,
});

export function isRestrictionKind(value: unknown): value is RestrictionKind {
  return typeof value === 'string' && (RESTRICTION_KINDS as readonly string[]).includes(value);
}
