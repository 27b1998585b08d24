import { jitterFor, type ErrorCode, type GateContext, type RandomSource, type SendGate } from '@wa-dispatch/core';
import { TtlCache } from './ttl-cache.js';

export interface TenantPauseGateOptions {
  /** tenants.paused from Postgres (the source of truth). */
  isPaused: (chatId: bigint) => Promise<boolean>;
  /** How long a read is believed (default 250 ms): a pause applies within that plus one round trip. */
  cacheMs?: number;
  /** Held messages look again after recheckMs + up to spreadMs (defaults 30 000 + 5 000). */
  recheckMs?: number;
  spreadMs?: number;
  random?: RandomSource;
}

/**
 * Holds every message of a paused tenant (`POST /v1/tenants/{id}/pause`):
 * delayed, not failed. Held jobs sleep ~30 s between looks, so a large paused
 * backlog costs almost nothing; resume does not wait for them: the API
 * re-times the backlog oldest first (SendProducer.readmit), which releases it
 * in creation order at the tenant's rate. The periodic look is the fallback
 * if that re-timing is lost. Put it before the restriction and pacing gates
 * (a held message must not book a pacing slot).
 */
export class TenantPauseGate implements SendGate {
  readonly name = 'tenant-pause';
  private readonly cache: TtlCache<bigint, boolean>;
  private readonly recheckMs: number;
  private readonly spreadMs: number;
  private readonly random: RandomSource;

  constructor(o: TenantPauseGateOptions) {
    this.cache = new TtlCache(o.cacheMs ?? 250, o.isPaused);
    this.recheckMs = o.recheckMs ?? 30_000;
    this.spreadMs = o.spreadMs ?? 5_000;
    this.random = o.random ?? Math.random;
  }

  async check(ctx: GateContext): Promise<{ untilMs: number; code: ErrorCode } | undefined> {
    if (!(await this.cache.get(ctx.message.chatId))) return undefined;
    return { untilMs: ctx.now + this.recheckMs + jitterFor(this.random, this.spreadMs), code: 'TENANT.PAUSED' };
  }
}
