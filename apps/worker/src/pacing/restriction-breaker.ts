import {
  DEFAULT_RESTRICTION_BACKOFF_MS,
  shardOf,
  type AuditLog,
  type ErrorCode,
  type RestrictionKind,
  type TenantEventSink,
} from '@wa-dispatch/core';
import type { TenantRestriction } from '@wa-dispatch/queue';
import type { Logger } from '../logger.js';
import type { WorkerMetrics } from '../metrics.js';

const KIND_OF: Partial<Record<ErrorCode, RestrictionKind>> = {
  'TRANSPORT.RESTRICTED': 'restricted',
  'TRANSPORT.RATE_LIMITED': 'rate_limited',
  'TRANSPORT.REACHOUT_LOCKED': 'reachout_locked',
};

/** A 429 that says "retry after 0" still backs the tenant off this long. */
const MIN_BACKOFF_MS = 1_000;

export interface RestrictionBreakerOptions {
  restrictions: TenantRestriction;
  audit: AuditLog;
  metrics: WorkerMetrics;
  logger: Logger;
  shardCount: number;
  workerId: string;
  now?: () => number;
  /** The tenant's own webhook hears `tenant.restricted` (fire-and-forget). */
  events?: TenantEventSink;
}

/**
 * Trips the restriction circuit breaker when a send reports that WhatsApp
 * restricted (`TRANSPORT.RESTRICTED`), rate-limited (`TRANSPORT.RATE_LIMITED`,
 * 429) or reach-out-locked (`TRANSPORT.REACHOUT_LOCKED`, 463) the tenant's
 * number: records the end in Redis (RestrictionGate then holds the tenant's
 * sends, or only its first contacts for 463), writes an audit row
 * `tenant.restricted` and counts `wad_tenant_restrictions_total{kind}`.
 * The end is the error's `details.untilMs`, else now + `details.retryAfterMs`,
 * else the kind's default back-off (DEFAULT_RESTRICTION_BACKOFF_MS).
 */
export class RestrictionBreaker {
  private readonly now: () => number;

  constructor(private readonly o: RestrictionBreakerOptions) {
    this.now = o.now ?? Date.now;
  }

  kindOf(code: ErrorCode): RestrictionKind | undefined {
    return KIND_OF[code];
  }

  /** Returns the end (epoch ms) of the restriction now in force. */
  async trip(
    chatId: bigint,
    kind: RestrictionKind,
    details: Readonly<Record<string, unknown>> | undefined,
    messageId: string,
  ): Promise<number> {
    const now = this.now();
    const untilMs = details?.untilMs;
    const retryAfterMs = details?.retryAfterMs;
    let end: number;
    if (typeof untilMs === 'number' && Number.isFinite(untilMs) && untilMs > now) end = untilMs;
    else if (typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
      end = now + Math.max(MIN_BACKOFF_MS, retryAfterMs);
    } else end = now + DEFAULT_RESTRICTION_BACKOFF_MS[kind];
    const shard = shardOf(chatId, this.o.shardCount);
    const inForce = await this.o.restrictions.restrict(chatId, shard, end, kind);
    this.o.metrics.restrictions.inc({ kind });
    const code = kind === 'restricted' ? 'TRANSPORT.RESTRICTED' : kind === 'rate_limited' ? 'TRANSPORT.RATE_LIMITED' : 'TRANSPORT.REACHOUT_LOCKED';
    // `chatId` is the outbox row's owner: the dispatcher reports a transport outcome
    // only after checking the job's chatId/sessionId against the row and the session
    this.o.events
      ?.emit('tenant.restricted', chatId, { kind, code, until: new Date(inForce).toISOString() })
      .catch((err: unknown) => this.o.logger.warn({ chatId: chatId.toString(), err: (err as { code?: string })?.code ?? 'unknown' }, 'tenant.restricted event not recorded'));
    await this.o.audit.record({
      chatId,
      actor: `worker:${this.o.workerId}`,
      action: 'tenant.restricted',
      code,
      detail: { kind, until: new Date(inForce).toISOString(), messageId },
    }).catch((err: unknown) => this.o.logger.error({ err, chatId: chatId.toString() }, 'restriction audit write failed'));
    this.o.logger.warn({ chatId: chatId.toString(), kind, until: new Date(inForce).toISOString() }, 'tenant restricted');
    return inForce;
  }
}
