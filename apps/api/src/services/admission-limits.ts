import { effectiveLimits, limitsFromStored, type TenantLimits } from '@wa-dispatch/core';
import type { PacingRepository } from '@wa-dispatch/db';

/**
 * `limitsFor` of the API's EnqueueAdmission (fairness; packages/queue/src/pacing/enqueue-admission.ts):
 * the tenant's limits in force now (stored overrides over the defaults, lowered
 * by the warm-up), cached `cacheMs` per tenant like the worker's limits. Only
 * rate and burst are used; the worker's pacer stays the authority.
 */
export function admissionLimitsSource(
  pacing: Pick<PacingRepository, 'tenantPacing'>,
  cacheMs = 1_000,
  now: () => number = Date.now,
): (chatId: bigint) => Promise<TenantLimits> {
  const cache = new Map<bigint, { value: TenantLimits; readAt: number }>();
  return async (chatId) => {
    const startedAt = now();
    const hit = cache.get(chatId);
    if (hit && startedAt - hit.readAt < cacheMs) return hit.value;
    const row = await pacing.tenantPacing(chatId);
    const value = effectiveLimits(limitsFromStored(row?.limits ?? null), row?.linkedAt ?? null, startedAt);
    if (cache.size >= 10_000) cache.clear();
    cache.set(chatId, { value, readAt: startedAt });
    return value;
  };
}
