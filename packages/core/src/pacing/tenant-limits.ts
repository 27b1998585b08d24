/**
 * Per-tenant pacing limits (stored on the tenant, changeable at runtime) and
 * the warm-up schedule of a newly linked number. Pure: no I/O, time passed in.
 *
 * SAFE DEFAULTS — reference points from issue 4 are field reports, not rules:
 *   - "more than ~5 messages a minute per number is risky"      → ratePerMinute 4
 *     (sustained), burst 3: a few interactive replies leave at once, a bulk run
 *     settles at one message every 15 s, under the risk line;
 *   - "errors at ~3 msg/s"                                       → hard cap 60/min
 *     (1/s) in validation, a third of the error threshold;
 *   - Meta's Cloud API: 1 message per 6 s to the same recipient  → recipientSpacingMs 6000;
 *   - "restrictions after 15–20 messages a day to unsaved contacts" (new numbers)
 *     and vendors' "20/hour, 50/day warm-up"                     → firstContactDailyBudget 50
 *     for an established number, and a warm-up (below) that starts at
 *     20/hour and 10 first contacts a day;
 *   - jitterMs 2000: up to 2 s of random extra delay on every hold-back, so
 *     wake-ups are not machine-timed (the queue adds its own latency on top).
 *
 * Bounds (validation): ratePerMinute 0.1..60 (fractions allowed: 0.5 = 30/hour),
 * burst 1..20 (integer), recipientSpacingMs 0..86 400 000 (0 = no spacing),
 * firstContactDailyBudget 1..1000 (0 would park such messages forever),
 * jitterMs 0..60 000, warmup boolean.
 */
import { z } from 'zod';

export const LIMIT_BOUNDS = {
  ratePerMinute: { min: 0.1, max: 60 },
  burst: { min: 1, max: 20 },
  recipientSpacingMs: { min: 0, max: 86_400_000 },
  firstContactDailyBudget: { min: 1, max: 1000 },
  jitterMs: { min: 0, max: 60_000 },
} as const;

export const DEFAULT_TENANT_LIMITS = Object.freeze({
  ratePerMinute: 4,
  burst: 3,
  recipientSpacingMs: 6_000,
  firstContactDailyBudget: 50,
  jitterMs: 2_000,
  warmup: true,
});

const b = LIMIT_BOUNDS;
const fields = {
  /** Sustained messages per minute (GCRA emission interval = 60 000 / rate ms). */
  ratePerMinute: z.number().min(b.ratePerMinute.min).max(b.ratePerMinute.max),
  /** Messages that may leave back to back after an idle period. */
  burst: z.number().int().min(b.burst.min).max(b.burst.max),
  /** Minimum time between two messages to the same recipient. */
  recipientSpacingMs: z.number().int().min(b.recipientSpacingMs.min).max(b.recipientSpacingMs.max),
  /** Messages per day (tenant's time zone) to recipients this tenant never messaged. */
  firstContactDailyBudget: z
    .number()
    .int()
    .min(b.firstContactDailyBudget.min)
    .max(b.firstContactDailyBudget.max),
  /** Upper bound of the random extra delay added when a message is held back. */
  jitterMs: z.number().int().min(b.jitterMs.min).max(b.jitterMs.max),
  /** Apply the warm-up schedule during the first days after linking. */
  warmup: z.boolean(),
};

/** Full limits; missing fields take the safe defaults (so stored JSON can evolve). */
export const TenantLimits = z
  .object({
    ratePerMinute: fields.ratePerMinute.default(DEFAULT_TENANT_LIMITS.ratePerMinute),
    burst: fields.burst.default(DEFAULT_TENANT_LIMITS.burst),
    recipientSpacingMs: fields.recipientSpacingMs.default(DEFAULT_TENANT_LIMITS.recipientSpacingMs),
    firstContactDailyBudget: fields.firstContactDailyBudget.default(DEFAULT_TENANT_LIMITS.firstContactDailyBudget),
    jitterMs: fields.jitterMs.default(DEFAULT_TENANT_LIMITS.jitterMs),
    warmup: fields.warmup.default(DEFAULT_TENANT_LIMITS.warmup),
  })
  .strict();
export type TenantLimits = z.infer<typeof TenantLimits>;

/** Body of `PATCH …/limits`: any subset, no defaults filled in, unknown keys refused. */
export const TenantLimitsPatch = z.object(fields).partial().strict();
export type TenantLimitsPatch = z.infer<typeof TenantLimitsPatch>;

/** GCRA emission interval in whole ms (rounded up: never faster than configured). */
export function paceIntervalMs(limits: Pick<TenantLimits, 'ratePerMinute'>): number {
  return Math.max(1, Math.ceil(60_000 / limits.ratePerMinute));
}

export interface WarmupStage {
  /** First day (0 = the 24 h after linking) this stage covers. */
  fromDay: number;
  /** First day after this stage. */
  untilDay: number;
  ratePerHour: number;
  burst: number;
  firstContactsPerDay: number;
}

/**
 * Warm-up of a newly linked number. Days are 24 h periods since `linkedAt`
 * (not calendar days, so linking at 23:59 does not skip a day):
 *
 *   day 0–1   20/hour, burst 2, 10 first contacts/day
 *   day 2–3   40/hour, burst 3, 20 first contacts/day
 *   day 4–6   60/hour, burst 3, 35 first contacts/day
 *   day 7+    the configured limits
 *
 * Each stage only ever lowers a limit (min with the configured value); spacing
 * and jitter are not touched.
 */
export const WARMUP_SCHEDULE: readonly WarmupStage[] = Object.freeze([
  { fromDay: 0, untilDay: 2, ratePerHour: 20, burst: 2, firstContactsPerDay: 10 },
  { fromDay: 2, untilDay: 4, ratePerHour: 40, burst: 3, firstContactsPerDay: 20 },
  { fromDay: 4, untilDay: 7, ratePerHour: 60, burst: 3, firstContactsPerDay: 35 },
]);

const DAY_MS = 86_400_000;

function toMs(t: Date | number): number {
  return typeof t === 'number' ? t : t.getTime();
}

/** The warm-up stage in force, or undefined (warm-up off, not linked, or over). */
export function warmupStageAt(
  limits: Pick<TenantLimits, 'warmup'>,
  linkedAt: Date | null | undefined,
  now: Date | number,
): WarmupStage | undefined {
  if (!limits.warmup || !linkedAt) return undefined;
  // A linkedAt in the future (clock skew) counts as day 0.
  const day = Math.max(0, Math.floor((toMs(now) - linkedAt.getTime()) / DAY_MS));
  return WARMUP_SCHEDULE.find((s) => day >= s.fromDay && day < s.untilDay);
}

/** The limits to enforce right now for a number linked at `linkedAt`. */
export function effectiveLimits(limits: TenantLimits, linkedAt: Date | null | undefined, now: Date | number): TenantLimits {
  const stage = warmupStageAt(limits, linkedAt, now);
  if (!stage) return { ...limits };
  return {
    ...limits,
    ratePerMinute: Math.min(limits.ratePerMinute, stage.ratePerHour / 60),
    burst: Math.min(limits.burst, stage.burst),
    firstContactDailyBudget: Math.min(limits.firstContactDailyBudget, stage.firstContactsPerDay),
  };
}

/**
 * The configured limits from a tenant's stored overrides (`tenants.limits`,
 * JSON): defaults filled in; a field that is unknown or out of today's bounds
 * (e.g. stored before a bound changed) falls back to its default instead of
 * failing every send of the tenant.
 */
export function limitsFromStored(stored: unknown): TenantLimits {
  const src = stored !== null && typeof stored === 'object' && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(fields)) {
    if (!(key in src)) continue;
    const parsed = (schema as z.ZodType).safeParse(src[key]);
    if (parsed.success) out[key] = parsed.data;
  }
  return TenantLimits.parse(out);
}
