import type { Db } from './prisma-client.js';

export type DispatchSwitchKey = 'all' | 'automatic';
export const DISPATCH_SWITCH_KEYS: readonly DispatchSwitchKey[] = ['all', 'automatic'];

export interface TenantPacingRow {
  chatId: bigint;
  /** Stored overrides (a TenantLimitsPatch as JSON; validate before use), or null. */
  limits: unknown;
  timeZone: string;
  paused: boolean;
  pausedAt: Date | null;
  /** The tenant's session linked_at (warm-up), or null. */
  linkedAt: Date | null;
}

export interface DispatchSwitchRow {
  key: DispatchSwitchKey;
  paused: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/**
 * Pacing settings and pauses in Postgres, the source of truth: a tenant's
 * limit overrides and time zone, its pause flag, and the deployment-wide
 * dispatch switches (`all` = kill switch, `automatic` = scheduled sends).
 */
export class PacingRepository {
  constructor(private readonly db: Db) {}

  async tenantPacing(chatId: bigint): Promise<TenantPacingRow | null> {
    const row = await this.db.tenant.findUnique({
      where: { chatId },
      select: {
        chatId: true,
        limits: true,
        timeZone: true,
        paused: true,
        pausedAt: true,
        sessions: { select: { linkedAt: true }, take: 1 },
      },
    });
    if (!row) return null;
    const { sessions, ...t } = row;
    return { ...t, linkedAt: sessions[0]?.linkedAt ?? null };
  }

  /**
   * Merges `patch` into the stored overrides (jsonb `||`, one statement) and
   * optionally sets the time zone; returns false if the tenant does not exist.
   */
  async updateLimits(chatId: bigint, patch: Record<string, unknown>, timeZone?: string): Promise<boolean> {
    const json = JSON.stringify(patch);
    const rows = await this.db.$queryRaw<{ chat_id: bigint }[]>`
      UPDATE tenants
      SET limits = COALESCE(limits, '{}'::jsonb) || ${json}::jsonb,
          time_zone = COALESCE(${timeZone ?? null}::varchar, time_zone),
          updated_at = now()
      WHERE chat_id = ${chatId}
      RETURNING chat_id`;
    return rows.length === 1;
  }

  /** Sets the tenant's pause flag; returns the row's new state, or null if no such tenant. */
  async setTenantPaused(chatId: bigint, paused: boolean): Promise<{ paused: boolean; pausedAt: Date | null } | null> {
    const rows = await this.db.$queryRaw<{ paused: boolean; paused_at: Date | null }[]>`
      UPDATE tenants
      SET paused = ${paused},
          paused_at = CASE WHEN ${paused} THEN COALESCE(paused_at, now()) ELSE NULL END,
          updated_at = now()
      WHERE chat_id = ${chatId}
      RETURNING paused, paused_at`;
    const r = rows[0];
    return r ? { paused: r.paused, pausedAt: r.paused_at } : null;
  }

  async isTenantPaused(chatId: bigint): Promise<boolean> {
    const row = await this.db.tenant.findUnique({ where: { chatId }, select: { paused: true } });
    return row?.paused ?? false;
  }

  async setSwitch(key: DispatchSwitchKey, paused: boolean, updatedBy: string): Promise<void> {
    await this.db.dispatchSwitch.upsert({
      where: { key },
      create: { key, paused, updatedBy },
      update: { paused, updatedBy },
    });
  }

  /** Both switches; a switch never written is reported as not paused. */
  async switches(): Promise<Record<DispatchSwitchKey, DispatchSwitchRow>> {
    const rows = await this.db.dispatchSwitch.findMany();
    const out = {} as Record<DispatchSwitchKey, DispatchSwitchRow>;
    for (const key of DISPATCH_SWITCH_KEYS) {
      const r = rows.find((x) => x.key === key);
      out[key] = { key, paused: r?.paused ?? false, updatedAt: r?.updatedAt ?? null, updatedBy: r?.updatedBy ?? null };
    }
    return out;
  }
}

