/**
 * Restriction circuit breaker, Redis side: one key per (tenant, kind) holding
 * the restriction's end and expiring at that end (PXAT), so a lifted
 * restriction leaves nothing behind. `restrict` keeps the later end when one
 * is already recorded. Postgres (audit rows) stays the record of what
 * happened; this is what the gates read on every send.
 *
 * RestrictionGate: `restricted` / `rate_limited` hold every send of the
 * tenant until the end; `reachout_locked` (WhatsApp 463) holds only messages
 * to recipients the tenant never sent to (TenantPacer's known set), so
 * existing conversations keep going. Put it BEFORE PacingGate in `gates`.
 */
import {
  AppError,
  RESTRICTION_KINDS,
  isRestrictionKind,
  jitterFor,
  shardOf,
  type Clock,
  type ErrorCode,
  type GateContext,
  type RandomSource,
  type RestrictionKind,
  type SendGate,
  systemClock,
} from '@wa-dispatch/core';
import { defineScript, type RedisClient, type ScriptCall } from '../redis-script.js';
import { PacingKeys } from './pacing-keys.js';
import type { TenantPacer } from './tenant-pacer.js';

export interface RestrictionStatus {
  /** End (epoch ms) of each kind in force. */
  active: Partial<Record<RestrictionKind, number>>;
  /** Until when every send is held (latest of restricted / rate_limited), or null. */
  sendBlockedUntilMs: number | null;
  sendBlockedBy: Exclude<RestrictionKind, 'reachout_locked'> | null;
  /** Until when first-contact sends are held (reachout_locked), or null. */
  firstContactBlockedUntilMs: number | null;
}

export interface TenantRestrictionOptions {
  redis: RedisClient;
  prefix?: string;
  clock?: Clock;
}

export class TenantRestriction {
  private readonly redis: RedisClient;
  private readonly keys: PacingKeys;
  private readonly clock: Clock;
  private readonly setScript: ScriptCall;

  constructor(o: TenantRestrictionOptions) {
    this.redis = o.redis;
    this.keys = new PacingKeys(o.prefix);
    this.clock = o.clock ?? systemClock;
    this.setScript = defineScript(o.redis, 'wadRestrictionSet', '../pacing/lua/restriction-set.lua', 1);
  }

  /** Records a restriction until `untilMs`; returns the end now in force (a later existing one wins). */
  async restrict(chatId: bigint, shard: number, untilMs: number, kind: RestrictionKind): Promise<number> {
    if (!isRestrictionKind(kind)) throw new AppError('VALIDATION.INVALID_BODY', 'unknown restriction kind');
    if (!Number.isFinite(untilMs)) throw new AppError('VALIDATION.INVALID_BODY', 'untilMs must be a number');
    const end = Math.floor(untilMs);
    if (end <= this.clock.now()) return this.currentEnd(chatId, shard, kind);
    return Number(await this.setScript([this.keys.restriction(chatId, shard, kind)], [end]));
  }

  /** Lifts one kind, or all of them (operator action). */
  async lift(chatId: bigint, shard: number, kind?: RestrictionKind): Promise<void> {
    const kinds = kind ? [kind] : RESTRICTION_KINDS;
    await this.redis.del(...kinds.map((k) => this.keys.restriction(chatId, shard, k)));
  }

  async status(chatId: bigint, shard: number): Promise<RestrictionStatus> {
    const now = this.clock.now();
    const values = await this.redis.mget(...RESTRICTION_KINDS.map((k) => this.keys.restriction(chatId, shard, k)));
    const active: Partial<Record<RestrictionKind, number>> = {};
    RESTRICTION_KINDS.forEach((kind, i) => {
      const v = values[i];
      const end = v == null ? NaN : Number(v);
      if (end > now) active[kind] = end;
    });
    let sendBlockedUntilMs: number | null = null;
    let sendBlockedBy: RestrictionStatus['sendBlockedBy'] = null;
    for (const kind of ['restricted', 'rate_limited'] as const) {
      const end = active[kind];
      if (end !== undefined && (sendBlockedUntilMs === null || end > sendBlockedUntilMs)) {
        sendBlockedUntilMs = end;
        sendBlockedBy = kind;
      }
    }
    return {
      active,
      sendBlockedUntilMs,
      sendBlockedBy,
      firstContactBlockedUntilMs: active.reachout_locked ?? null,
    };
  }

  private async currentEnd(chatId: bigint, shard: number, kind: RestrictionKind): Promise<number> {
    const v = await this.redis.get(this.keys.restriction(chatId, shard, kind));
    return v == null ? 0 : Number(v);
  }
}

export interface RestrictionGateOptions {
  restrictions: TenantRestriction;
  /** Source of "has this tenant ever sent to this recipient". */
  pacer: Pick<TenantPacer, 'isKnownRecipient'>;
  shardCount: number;
  /** Spread wake-ups after the end over this many ms (default 5000) so they do not all land at once. */
  spreadMs?: number;
  random?: RandomSource;
}

const SEND_BLOCK_CODE: Record<'restricted' | 'rate_limited', ErrorCode> = {
  restricted: 'TRANSPORT.RESTRICTED',
  rate_limited: 'TRANSPORT.RATE_LIMITED',
};

export class RestrictionGate implements SendGate {
  readonly name = 'tenant-restriction';
  private readonly spreadMs: number;
  private readonly random: RandomSource;

  constructor(private readonly o: RestrictionGateOptions) {
    this.spreadMs = o.spreadMs ?? 5_000;
    this.random = o.random ?? Math.random;
  }

  async check(ctx: GateContext): Promise<{ untilMs: number; code: ErrorCode } | undefined> {
    const chatId = ctx.message.chatId;
    const shard = shardOf(chatId, this.o.shardCount);
    const st = await this.o.restrictions.status(chatId, shard);
    if (st.sendBlockedUntilMs !== null && st.sendBlockedBy !== null && st.sendBlockedUntilMs > ctx.now) {
      return { untilMs: st.sendBlockedUntilMs + jitterFor(this.random, this.spreadMs), code: SEND_BLOCK_CODE[st.sendBlockedBy] };
    }
    const lock = st.firstContactBlockedUntilMs;
    if (lock !== null && lock > ctx.now) {
      const known = await this.o.pacer.isKnownRecipient(chatId, shard, ctx.message.toPhone);
      if (!known) return { untilMs: lock + jitterFor(this.random, this.spreadMs), code: 'TRANSPORT.REACHOUT_LOCKED' };
    }
    return undefined;
  }
}
