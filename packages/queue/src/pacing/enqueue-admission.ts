/**
 * FAIRNESS — admission at enqueue (issue 4, "Fairness").
 *
 * Problem: re-check at send time + wake spreading (TenantPacer) holds every
 * tenant's limit, but a tenant that enqueues 10,000 messages at once puts them
 * all at the head of its shard's waiting list. Each of them is touched once
 * (checked, parked) before a quiet tenant's job behind them is even looked at,
 * so the quiet tenant waits for the whole backlog's first pass (~1.2 s in the
 * issue's measurement, more on a slower box).
 *
 * Design (the smallest change that keeps one Worker per shard): the producer
 * gives each new job a BullMQ `delay` that spreads the tenant's backlog by the
 * tenant's own rate + burst — a virtual GCRA per tenant in Redis
 * (`lua/enqueue-admission.lua`, key `${p}:pace:{sN}:${chatId}:admit`). The
 * first `burst` jobs of an idle tenant get no delay; the k-th after them waits
 * k intervals. A burst therefore lands in the delayed set, one job per
 * interval, and reaches the waiting list only about when the tenant may send
 * it, so the waiting list holds roughly "what may be sent now" for every
 * tenant and a quiet tenant's job is never queued behind another tenant's
 * backlog. As a side effect most jobs are touched once (woken at their slot,
 * sent) instead of twice (parked, woken, sent).
 *
 * Admission books nothing that matters for the limit: the worker's PacingGate
 * still checks (and books) at send time on Redis' clock, so if admission is
 * wrong (limits changed, a pause, a slow worker, Redis flushed the key) jobs
 * are simply held again by the pacer as before. Rejected alternatives: BullMQ
 * priorities by backlog (priority is fixed at add time and a counter of a
 * tenant's backlog must be kept exact across retries, deletes and flushes);
 * a queue per tenant (a Worker per queue, issue 4).
 *
 * Caveats: re-adding a job that already exists (same jobId) is a no-op for
 * BullMQ but still consumes one admission slot (later jobs of that tenant wait
 * one interval longer, the pacer is unaffected); the reconciler's `restore()`
 * re-adds without admission (rare, and still paced by the worker).
 */
import { AppError, paceIntervalMs, type TenantLimits } from '@wa-dispatch/core';
import { defineScript, type RedisClient, type ScriptCall } from '../redis-script.js';
import { PacingKeys } from './pacing-keys.js';

/** What SendProducer asks before adding a tenant's jobs. */
export interface SendAdmission {
  /** One delay in ms (>= 0) per job, in order, for `count` new jobs of one tenant. */
  delays(chatId: bigint, shard: number, count: number): Promise<readonly number[]>;
}

export interface EnqueueAdmissionOptions {
  redis: RedisClient;
  prefix?: string;
  /** The limits in force for the tenant now (after warm-up); rate and burst are used. */
  limitsFor: (chatId: bigint) => Promise<Pick<TenantLimits, 'ratePerMinute' | 'burst'>>;
  /** TESTS ONLY: pass this clock's `now` to the script instead of Redis TIME. */
  nowForTests?: () => number;
}

export class EnqueueAdmission implements SendAdmission {
  readonly keys: PacingKeys;
  private readonly script: ScriptCall;

  constructor(private readonly o: EnqueueAdmissionOptions) {
    this.keys = new PacingKeys(o.prefix);
    this.script = defineScript(o.redis, 'wadEnqueueAdmission', '../pacing/lua/enqueue-admission.lua', 1);
  }

  async delays(chatId: bigint, shard: number, count: number): Promise<readonly number[]> {
    if (!Number.isInteger(count) || count < 0) throw new AppError('INTERNAL', 'admission count must be a non-negative integer');
    if (count === 0) return [];
    const limits = await this.o.limitsFor(chatId);
    const reply = (await this.script(
      [this.keys.admit(chatId, shard)],
      [this.o.nowForTests ? String(Math.floor(this.o.nowForTests())) : '', paceIntervalMs(limits), Math.max(1, Math.floor(limits.burst)), count],
    )) as number[];
    return reply.slice(1).map(Number);
  }
}
