/**
 * SendGate over TenantPacer. Put it LAST in `gates`: a pass books the slot,
 * so any gate after it that holds the message would waste that slot.
 *
 * Jitter: a refusal's retry time gets a random extra delay. For `rate`
 * refusals it is capped at the GCRA tolerance (burst - 1) * interval, so a
 * jittered wake still finds its slot (with burst 1 there is no room: no
 * jitter); `recipient` and `first_contact` refusals get up to `jitterMs`.
 */
import {
  dayWindow,
  effectiveLimits,
  jitterFor,
  paceIntervalMs,
  shardOf,
  type ErrorCode,
  type GateContext,
  type RandomSource,
  type SendGate,
  type TenantLimits,
} from '@wa-dispatch/core';
import type { PaceDecision, TenantPacer } from './tenant-pacer.js';

export type TenantPacingConfig = TenantLimits & {
  /** IANA zone of the first-contact day; default UTC. */
  timeZone?: string;
  /** When the tenant's number was linked (warm-up); null/absent = no warm-up. */
  linkedAt?: Date | null;
};

export interface PacingGateOptions {
  pacer: TenantPacer;
  shardCount: number;
  /** The tenant's configured limits; the lead backs this with Postgres + a short cache. */
  limitsFor: (chatId: bigint) => Promise<TenantPacingConfig>;
  /** Optional: recipients that are not cold contacts although never sent to. */
  isWarmContact?: (ctx: GateContext) => Promise<boolean>;
  random?: RandomSource;
  /** Called on every decision (metrics/logging). */
  onDecision?: (ctx: GateContext, decision: PaceDecision) => void;
}

export class PacingGate implements SendGate {
  readonly name = 'tenant-pacing';
  private readonly random: RandomSource;

  constructor(private readonly o: PacingGateOptions) {
    this.random = o.random ?? Math.random;
  }

  async check(ctx: GateContext): Promise<{ untilMs: number; code: ErrorCode } | undefined> {
    const chatId = ctx.message.chatId;
    const cfg = await this.o.limitsFor(chatId);
    const { timeZone, linkedAt, ...configured } = cfg;
    const limits = effectiveLimits(configured, linkedAt ?? null, ctx.now);
    const day = dayWindow(ctx.now, timeZone ?? 'UTC');
    const exempt = this.o.isWarmContact ? await this.o.isWarmContact(ctx) : false;
    const decision = await this.o.pacer.check({
      chatId,
      shard: shardOf(chatId, this.o.shardCount),
      recipient: ctx.message.toPhone,
      limits,
      dayKey: day.key,
      dayEndsAtMs: day.endsAtMs,
      ticket: ctx.message.id,
      firstContactExempt: exempt,
    });
    this.o.onDecision?.(ctx, decision);
    if (decision.allowed) return undefined;
    const cap =
      decision.reason === 'rate'
        ? Math.min(limits.jitterMs, (limits.burst - 1) * paceIntervalMs(limits))
        : limits.jitterMs;
    return { untilMs: decision.retryAtMs + jitterFor(this.random, cap), code: 'RATE.LIMITED' };
  }
}
