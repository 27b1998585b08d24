/**
 * Per-tenant pacing in one Redis Lua call (`lua/tenant-pace.lua`): GCRA rate
 * + burst, same-recipient spacing, daily first-contact budget; a pass books
 * the slot atomically, a refusal books nothing and says when to come back.
 *
 * HERD DESIGN — "re-check at send time, wake-ups spaced one interval apart".
 * Issue 4 measured three options on BullMQ 6.7:
 *   - delay every waiting job to the tenant's next slot: they all wake at once
 *     (16 touches/message, 57 worst);
 *   - book a slot at refusal and send on wake without a re-check: breaks the
 *     limit (a promoted job goes to the back of the waiting list, sends bunch);
 *   - re-check at send time with wake-ups one interval apart: limit held,
 *     1.95 touches/message.
 * We take the third. A refused job gets a *ticket* (its message id) in the
 * tenant's `park` ZSET with the wake time it was promised: the tenant's next
 * slot plus one interval per job already parked (retryAt = max(allowAt,
 * lastTicket + interval)), so k parked jobs wake k intervals apart. On wake
 * the job is checked again against the GCRA on Redis' clock — only a passing
 * GCRA check ever books a send, so no window can exceed rate + burst whatever
 * the tickets say; tickets only decide *when* jobs come back and keep fresh
 * jobs behind parked ones. Why tickets rather than a parked counter: a counter
 * must be decremented exactly once per parked job, and jobs vanish (deleted,
 * cancelled, Redis flush, a crash between check and moveToDelayed); a ticket
 * is idempotent per job (re-parking moves it, passing removes it) and a
 * forgotten one ages out `ticketGraceMs` after its wake time.
 * With burst >= 2 a holder waking up to (burst - 1) * interval late still
 * finds its slot (the GCRA tolerance absorbs it), so the gate caps the rate
 * jitter at that tolerance. Caveat: a ticket of a job removed from the queue
 * keeps fresh jobs behind it until its wake time; call `releaseTicket` when
 * cancelling a queued message.
 *
 * Time: the script uses Redis `TIME` so every worker shares one clock.
 * `nowForTests` passes a fixed `now` via ARGV instead — tests only.
 */
import { AppError, paceIntervalMs, type TenantLimits } from '@wa-dispatch/core';
import { defineScript, type RedisClient, type ScriptCall } from '../redis-script.js';
import { PacingKeys } from './pacing-keys.js';
import { DEFAULT_RECIPIENT_HASH_KEY, recipientHash } from './recipient-hash.js';

export type PaceRefusal = 'rate' | 'recipient' | 'first_contact';

export type PaceDecision =
  | { allowed: true; firstContact: boolean; atMs: number }
  | { allowed: false; retryAtMs: number; reason: PaceRefusal; atMs: number };

export interface PaceCheck {
  chatId: bigint;
  shard: number;
  /** E.164 digits; canonicalised (Brazilian 9th digit) and hashed before it reaches Redis. */
  recipient: string;
  /** The limits to enforce now (after `effectiveLimits`). */
  limits: TenantLimits;
  /** `dayKey(now, tenantTimeZone)`. */
  dayKey: string;
  /** When `dayKey` ends (`dayWindow(...).endsAtMs`): first-contact retries and counter TTLs. */
  dayEndsAtMs: number;
  /** The job's id; without it a refusal is not parked (herd protection off). */
  ticket?: string;
  /** True if this recipient is not a cold contact even if never sent to (e.g. they wrote first). */
  firstContactExempt?: boolean;
}

export interface TenantPacerOptions {
  redis: RedisClient;
  prefix?: string;
  /** HMAC key for recipient hashes; set a secret in production (see recipient-hash.ts). */
  recipientHashKey?: string;
  /** How long after its promised wake time a ticket is kept. Default 60 s. */
  ticketGraceMs?: number;
  /** TESTS ONLY: pass this clock's `now` to the script instead of Redis TIME. */
  nowForTests?: () => number;
}

const REASONS: ReadonlySet<string> = new Set(['rate', 'recipient', 'first_contact']);

export class TenantPacer {
  readonly keys: PacingKeys;
  private readonly redis: RedisClient;
  private readonly script: ScriptCall;
  private readonly hashKey: string;
  private readonly graceMs: number;
  private readonly nowForTests: (() => number) | undefined;

  constructor(o: TenantPacerOptions) {
    this.redis = o.redis;
    this.keys = new PacingKeys(o.prefix);
    this.hashKey = o.recipientHashKey ?? DEFAULT_RECIPIENT_HASH_KEY;
    this.graceMs = o.ticketGraceMs ?? 60_000;
    if (!Number.isInteger(this.graceMs) || this.graceMs < 0) {
      throw new AppError('CONFIG.INVALID', 'ticketGraceMs must be a non-negative integer');
    }
    this.nowForTests = o.nowForTests;
    this.script = defineScript(o.redis, 'wadTenantPace', '../pacing/lua/tenant-pace.lua', 6);
  }

  /** The hash stored for a recipient (exposed for tests and the known-set API). */
  hashOf(chatId: bigint, recipient: string): string {
    return recipientHash(chatId, recipient, this.hashKey);
  }

  async check(c: PaceCheck): Promise<PaceDecision> {
    const rh = this.hashOf(c.chatId, c.recipient);
    const k = this.keys;
    const reply = (await this.script(
      [
        k.tat(c.chatId, c.shard),
        k.recipient(c.chatId, c.shard, rh),
        k.known(c.chatId, c.shard),
        k.firstContacts(c.chatId, c.shard, c.dayKey),
        k.park(c.chatId, c.shard),
        k.firstContactQueue(c.chatId, c.shard, c.dayKey),
      ],
      [
        this.nowForTests ? String(Math.floor(this.nowForTests())) : '',
        paceIntervalMs(c.limits),
        c.limits.burst,
        c.limits.recipientSpacingMs,
        c.limits.firstContactDailyBudget,
        c.firstContactExempt ? '0' : '1',
        rh,
        Math.floor(c.dayEndsAtMs),
        c.ticket ?? '',
        this.graceMs,
      ],
    )) as [number, number, string, number, number];
    const [allowed, retryAtMs, reason, first, atMs] = reply;
    if (allowed === 1) return { allowed: true, firstContact: first === 1, atMs: Number(atMs) };
    if (!REASONS.has(reason)) throw new AppError('INTERNAL', `tenant-pace.lua returned an unknown reason`);
    return { allowed: false, retryAtMs: Number(retryAtMs), reason: reason as PaceRefusal, atMs: Number(atMs) };
  }

  /** Whether this tenant has ever sent to `recipient` (so it is not a first contact). */
  async isKnownRecipient(chatId: bigint, shard: number, recipient: string): Promise<boolean> {
    return (await this.redis.sismember(this.keys.known(chatId, shard), this.hashOf(chatId, recipient))) === 1;
  }

  /** Marks a recipient as known, e.g. after an inbound message or when backfilling from Postgres. */
  async rememberRecipients(chatId: bigint, shard: number, recipients: readonly string[]): Promise<void> {
    if (recipients.length === 0) return;
    await this.redis.sadd(this.keys.known(chatId, shard), ...recipients.map((r) => this.hashOf(chatId, r)));
  }

  /** Drops a parked job's ticket (call when a queued message is cancelled or removed). */
  async releaseTicket(chatId: bigint, shard: number, ticket: string): Promise<void> {
    await this.redis.zrem(this.keys.park(chatId, shard), ticket);
  }

  /** How many jobs of this tenant are parked by the rate (metrics, Bull Board context). */
  async parkedCount(chatId: bigint, shard: number): Promise<number> {
    return this.redis.zcard(this.keys.park(chatId, shard));
  }

  /** Forgets a tenant's pacing state except its known recipients (e.g. after an operator reset). */
  async resetRate(chatId: bigint, shard: number): Promise<void> {
    await this.redis.del(this.keys.tat(chatId, shard), this.keys.park(chatId, shard));
  }
}
