import { limitsFromStored } from '@wa-dispatch/core';
import type { PacingRepository } from '@wa-dispatch/db';
import type { TenantPacingConfig } from '@wa-dispatch/queue';
import { TtlCache } from './ttl-cache.js';

/**
 * `limitsFor` of the PacingGate, backed by Postgres: the tenant's stored
 * overrides over the defaults, its time zone and its session's linked_at
 * (warm-up), cached ~1 s so a PATCH applies within about a second.
 */
export function pacingConfigSource(pacing: PacingRepository, cacheMs = 1_000): (chatId: bigint) => Promise<TenantPacingConfig> {
  const cache = new TtlCache<bigint, TenantPacingConfig>(cacheMs, async (chatId) => {
    const row = await pacing.tenantPacing(chatId);
    // no row: the dispatcher has already refused such a job; defaults keep the gate total
    return { ...limitsFromStored(row?.limits ?? null), timeZone: row?.timeZone ?? 'UTC', linkedAt: row?.linkedAt ?? null };
  });
  return (chatId) => cache.get(chatId);
}
