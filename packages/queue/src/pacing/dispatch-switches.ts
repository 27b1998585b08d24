/**
 * Global kill switch and automatic-sends switch, Redis side. One HASH
 * `${prefix}:switches` {all, automatic} = "1" | "0", no TTL. Postgres is the
 * source of truth: a reconciler calls `read()` (uncached) and `set()` to
 * re-assert the stored state after a Redis flush (`present: false`).
 *
 * Every process caches the state for at most `cacheMs` (default 250 ms),
 * stamped with the time the read STARTED, so a pause is seen everywhere
 * within cacheMs + one round trip. `pauseAll()` by default waits out that
 * window before resolving: when it returns, no process will start a send
 * (the gate runs right before the transport call; a send already inside the
 * transport call cannot be recalled).
 *
 * Reads that fail (Redis down) count as paused, and so does a hash that is
 * missing altogether (Redis lost it): the gate delays, it never lets a send
 * through on an unknown switch. Workers re-assert the hash from Postgres at
 * start and every second, so "missing" only lasts until the next sync.
 */
import {
  jitterFor,
  systemClock,
  type Clock,
  type ErrorCode,
  type GateContext,
  type RandomSource,
  type SendGate,
} from '@wa-dispatch/core';
import type { RedisClient } from '../redis-script.js';
import { PacingKeys } from './pacing-keys.js';

export interface DispatchSwitchState {
  /** Global kill switch: no send at all. */
  pausedAll: boolean;
  /** Automatic (scheduled) sends only. */
  pausedAutomatic: boolean;
}

export interface DispatchSwitchesOptions {
  redis: RedisClient;
  prefix?: string;
  cacheMs?: number;
  clock?: Clock;
}

const PAUSED_ON_ERROR: DispatchSwitchState = Object.freeze({ pausedAll: true, pausedAutomatic: true });

export class DispatchSwitches {
  readonly cacheMs: number;
  private readonly redis: RedisClient;
  private readonly key: string;
  private readonly clock: Clock;
  private cached: { state: DispatchSwitchState; readAt: number } | undefined;
  private inflight: Promise<DispatchSwitchState> | undefined;

  constructor(o: DispatchSwitchesOptions) {
    this.redis = o.redis;
    this.key = new PacingKeys(o.prefix).switches();
    this.clock = o.clock ?? systemClock;
    this.cacheMs = o.cacheMs ?? 250;
  }

  async pauseAll(opts: { settle?: boolean } = {}): Promise<void> {
    await this.set({ pausedAll: true }, opts);
  }

  async resumeAll(): Promise<void> {
    await this.set({ pausedAll: false }, { settle: false });
  }

  async pauseAutomatic(opts: { settle?: boolean } = {}): Promise<void> {
    await this.set({ pausedAutomatic: true }, opts);
  }

  async resumeAutomatic(): Promise<void> {
    await this.set({ pausedAutomatic: false }, { settle: false });
  }

  /** Writes (part of) the state; `settle` (default true) waits until every process's cache has expired. */
  async set(state: Partial<DispatchSwitchState>, opts: { settle?: boolean } = {}): Promise<void> {
    const fields: string[] = [];
    if (state.pausedAll !== undefined) fields.push('all', state.pausedAll ? '1' : '0');
    if (state.pausedAutomatic !== undefined) fields.push('automatic', state.pausedAutomatic ? '1' : '0');
    if (fields.length === 0) return;
    await this.redis.hset(this.key, ...fields);
    this.cached = undefined;
    if (opts.settle ?? true) await new Promise((r) => setTimeout(r, this.cacheMs + 50));
  }

  /** Uncached read; `present` is false when Redis holds no switch (e.g. after a flush). */
  async read(): Promise<DispatchSwitchState & { present: boolean }> {
    const h = await this.redis.hgetall(this.key);
    return {
      pausedAll: h.all === '1',
      pausedAutomatic: h.automatic === '1',
      present: h.all !== undefined || h.automatic !== undefined,
    };
  }

  /** Cached (<= cacheMs old) state; fails closed (paused) if Redis cannot be read. */
  async state(): Promise<DispatchSwitchState> {
    const c = this.cached;
    if (c && this.clock.now() - c.readAt < this.cacheMs) return c.state;
    if (!this.inflight) {
      const readAt = this.clock.now();
      this.inflight = this.read()
        .then(({ pausedAll, pausedAutomatic, present }) => {
          const state = present ? { pausedAll, pausedAutomatic } : PAUSED_ON_ERROR;
          this.cached = { state, readAt };
          return state;
        })
        .catch(() => PAUSED_ON_ERROR)
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  async isPaused(): Promise<boolean> {
    return (await this.state()).pausedAll;
  }

  async isAutomaticPaused(): Promise<boolean> {
    const s = await this.state();
    return s.pausedAll || s.pausedAutomatic;
  }
}

export interface KillSwitchGateOptions {
  switches: DispatchSwitches;
  /** Tells automatic (scheduled) sends apart; without it the automatic switch is ignored. */
  isAutomatic?: (ctx: GateContext) => boolean;
  /** Held messages look again after recheckMs + up to spreadMs (defaults 2000 + 2000). */
  recheckMs?: number;
  spreadMs?: number;
  random?: RandomSource;
}

export class KillSwitchGate implements SendGate {
  readonly name = 'kill-switch';
  private readonly recheckMs: number;
  private readonly spreadMs: number;
  private readonly random: RandomSource;

  constructor(private readonly o: KillSwitchGateOptions) {
    this.recheckMs = o.recheckMs ?? 2_000;
    this.spreadMs = o.spreadMs ?? 2_000;
    this.random = o.random ?? Math.random;
  }

  async check(ctx: GateContext): Promise<{ untilMs: number; code: ErrorCode } | undefined> {
    const s = await this.o.switches.state();
    const until = () => ctx.now + this.recheckMs + jitterFor(this.random, this.spreadMs);
    if (s.pausedAll) return { untilMs: until(), code: 'DISPATCH.KILL_SWITCH' };
    if (s.pausedAutomatic && this.o.isAutomatic?.(ctx)) return { untilMs: until(), code: 'DISPATCH.PAUSED' };
    return undefined;
  }
}
