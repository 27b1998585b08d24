/**
 * Spreads shards over live workers through leases. Invariants:
 * - this worker treats a shard as its own only while its local validity lasts:
 *   `validUntil = (local time when the last successful renew/acquire was SENT)
 *   + ttl - safetyMargin`. Redis expires the lease no earlier than send time +
 *   ttl, so the local view ends first, even if this process is paused or its
 *   loop is stuck ("zombie"): `holds()` turns undefined on its own clock;
 * - once local validity lapses, that (shard, epoch) is dead here: it is never
 *   renewed again; the shard is reported lost and may be re-acquired later
 *   under a new epoch;
 * - callbacks for one shard never overlap and run in order (acquire before
 *   release); `onRelease` for a voluntary release finishes before the lease
 *   is freed, so a successor never overlaps in-flight jobs;
 * - the loop only does short Redis calls; callbacks run beside it, so a slow
 *   drain never stops leases from being renewed.
 */
import { createHash } from 'node:crypto';
import { AppError, type Clock, type ShardGuard } from '@wa-dispatch/core';
import { silentLogger, type QueueLogger } from './logger.port.js';
import type { ShardLeaseStore } from './shard-lease.js';
import type { WorkerRegistry } from './worker-registry.js';

export type ShardReleaseReason = 'rebalance' | 'lost' | 'shutdown';

export interface ShardBalancerOptions {
  leases: ShardLeaseStore;
  registry: WorkerRegistry;
  workerId: string;
  shardCount: number;
  /** Defaults to the lease store's ttl; may not exceed it. */
  ttlMs?: number;
  renewEveryMs?: number;
  /** How much earlier than Redis this worker gives a lease up; default ttl/10. */
  safetyMarginMs?: number;
  onAcquire(shard: number, epoch: bigint): Promise<void>;
  /** Highest epoch recorded durably for a shard (Postgres); new epochs go above it. */
  epochFloor?(shard: number): Promise<bigint>;
  onRelease(shard: number, reason: ShardReleaseReason): Promise<void>;
  /** Must be monotonic; the default is `performance.now()`, immune to wall-clock jumps. */
  clock?: Clock;
  logger?: QueueLogger;
}

interface OwnedShard {
  epoch: bigint;
  validUntil: number;
  phase: 'acquiring' | 'active' | 'releasing';
}

type Mode = 'idle' | 'running' | 'stopping' | 'stopped' | 'killed';

const monotonicClock: Clock = { now: () => performance.now() };

export class ShardBalancer implements ShardGuard {
  readonly workerId: string;
  private readonly leases: ShardLeaseStore;
  private readonly registry: WorkerRegistry;
  private readonly shardCount: number;
  private readonly ttlMs: number;
  private readonly renewEveryMs: number;
  private readonly safetyMarginMs: number;
  private readonly onAcquireCb: ShardBalancerOptions['onAcquire'];
  private readonly epochFloor: (shard: number) => Promise<bigint>;
  private readonly onReleaseCb: ShardBalancerOptions['onRelease'];
  private readonly clock: Clock;
  private readonly logger: QueueLogger;
  /** Acquisition preference; releases take from its tail. Worker-specific so newcomers don't collide. */
  private readonly preference: readonly number[];

  private readonly owned = new Map<number, OwnedShard>();
  private readonly shardOps = new Map<number, Promise<void>>();
  /** Shards whose onAcquire failed are left to others for one ttl. */
  private readonly cooldownUntil = new Map<number, number>();
  private mode: Mode = 'idle';
  private timer: NodeJS.Timeout | undefined;
  private currentTick: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(opts: ShardBalancerOptions) {
    this.leases = opts.leases;
    this.registry = opts.registry;
    this.workerId = opts.workerId;
    this.shardCount = opts.shardCount;
    this.ttlMs = opts.ttlMs ?? opts.leases.ttlMs;
    this.renewEveryMs = opts.renewEveryMs ?? Math.floor(this.ttlMs / 3);
    this.safetyMarginMs = opts.safetyMarginMs ?? Math.max(1, Math.floor(this.ttlMs / 10));
    this.onAcquireCb = opts.onAcquire;
    this.epochFloor = opts.epochFloor ? (shard) => opts.epochFloor!(shard) : async () => 0n;
    this.onReleaseCb = opts.onRelease;
    this.clock = opts.clock ?? monotonicClock;
    this.logger = opts.logger ?? silentLogger;

    const invalid = (message: string): AppError =>
      new AppError('CONFIG.INVALID', message, {
        details: { ttlMs: this.ttlMs, renewEveryMs: this.renewEveryMs, safetyMarginMs: this.safetyMarginMs },
      });
    if (opts.workerId === '') throw invalid('workerId must be non-empty');
    if (!Number.isInteger(opts.shardCount) || opts.shardCount < 1) throw invalid('shardCount must be a positive integer');
    if (this.ttlMs > opts.leases.ttlMs) throw invalid('balancer ttlMs may not exceed the lease ttl');
    if (this.renewEveryMs < 1 || this.safetyMarginMs < 0) throw invalid('renewEveryMs and safetyMarginMs must be positive');
    // Otherwise local validity would lapse between two healthy renewals.
    if (this.renewEveryMs + this.safetyMarginMs >= this.ttlMs) {
      throw invalid('renewEveryMs + safetyMarginMs must be below ttlMs');
    }

    const offset = createHash('sha1').update(opts.workerId).digest().readUInt32BE(0) % opts.shardCount;
    this.preference = Array.from({ length: opts.shardCount }, (_, i) => (offset + i) % opts.shardCount);
  }

  /** Runs the first round (heartbeat, acquisitions) before resolving. */
  async start(): Promise<void> {
    if (this.mode !== 'idle') throw new AppError('INTERNAL', `ShardBalancer cannot start from state ${this.mode}`);
    this.mode = 'running';
    await this.runTick();
  }

  /** The epoch under which this worker may act for `shard` right now, judged on its own clock. */
  holds(shard: number): { epoch: bigint } | undefined {
    const owned = this.owned.get(shard);
    if (owned === undefined || this.clock.now() >= owned.validUntil) return undefined;
    return { epoch: owned.epoch };
  }

  epochOf(shard: number): bigint | undefined {
    return this.holds(shard)?.epoch;
  }

  ownedShards(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /**
   * Graceful: leaves the registry (so others raise their targets), reports
   * 'shutdown' for every shard and frees each lease after its callback. Leases
   * keep being renewed until every callback is done.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Test hook: the process "dies" or freezes — timers stop, nothing is released or reported. */
  kill(): void {
    this.mode = 'killed';
    clearTimeout(this.timer);
  }

  private async shutdown(): Promise<void> {
    if (this.mode !== 'running') {
      if (this.mode === 'idle') this.mode = 'stopped';
      return;
    }
    this.mode = 'stopping';
    await this.currentTick;
    await this.redisStep('leave registry', undefined, () => this.registry.leave(this.workerId));
    for (const [shard, owned] of this.owned) {
      if (owned.phase !== 'releasing') this.releaseVoluntarily(shard, owned, 'shutdown');
    }
    while (this.shardOps.size > 0) await Promise.all(this.shardOps.values());
    this.mode = 'stopped';
    clearTimeout(this.timer);
    await this.currentTick;
    // A tick that was in flight during shutdown may not heartbeat (mode check), but be sure.
    await this.redisStep('leave registry', undefined, () => this.registry.leave(this.workerId));
  }

  private runTick(): Promise<void> {
    const startedAt = this.clock.now();
    const tick = this.tick()
      .catch((err: unknown) => this.logger.error({ err, workerId: this.workerId }, 'shard balancer round failed'))
      .finally(() => {
        if (this.mode !== 'running' && this.mode !== 'stopping') return;
        const delay = Math.max(0, this.renewEveryMs - (this.clock.now() - startedAt));
        this.timer = setTimeout(() => {
          this.currentTick = this.runTick();
        }, delay);
      });
    this.currentTick = tick;
    return tick;
  }

  private async tick(): Promise<void> {
    let live: number | undefined;
    if (this.mode === 'running') {
      live = await this.redisStep('heartbeat', undefined, () => this.registry.heartbeat(this.workerId, this.ttlMs));
    }
    if (this.mode === 'killed') return;
    await this.renewAll();
    if (this.mode === 'running' && live !== undefined) await this.rebalance(live);
  }

  private async renewAll(): Promise<void> {
    await Promise.all(
      [...this.owned].map(async ([shard, owned]) => {
        const sentAt = this.clock.now();
        if (sentAt >= owned.validUntil) {
          this.lose(shard, owned, 'local validity lapsed before renewal');
          return;
        }
        const renewed = await this.redisStep('renew', shard, () => this.leases.renew(shard, this.workerId, owned.epoch));
        if (this.owned.get(shard) !== owned || this.mode === 'killed') return;
        // A failed call (undefined) proves nothing; local validity decides on the next round.
        if (renewed === true) owned.validUntil = sentAt + this.ttlMs - this.safetyMarginMs;
        else if (renewed === false) this.lose(shard, owned, 'renew refused');
      }),
    );
  }

  private async rebalance(live: number): Promise<void> {
    const target = Math.ceil(this.shardCount / Math.max(1, live));
    const kept = this.preference.filter((s) => {
      const owned = this.owned.get(s);
      return owned !== undefined && owned.phase !== 'releasing';
    });
    if (kept.length > target) {
      for (const shard of kept.slice(target)) {
        const owned = this.owned.get(shard);
        if (owned !== undefined) this.releaseVoluntarily(shard, owned, 'rebalance');
      }
    } else if (kept.length < target) {
      await this.acquireUpTo(target - kept.length);
    }
  }

  /**
   * Reads all candidate leases at once and then races only for free ones, so a
   * newcomer facing busy shards costs two round trips, not one per shard.
   */
  private async acquireUpTo(wanted: number): Promise<void> {
    const now = this.clock.now();
    // A shard with callbacks still pending here is mid-handover; let it settle first.
    const candidates = this.preference.filter(
      (s) => !this.owned.has(s) && !this.shardOps.has(s) && (this.cooldownUntil.get(s) ?? -Infinity) <= now,
    );
    const holders = await this.redisStep('read holders', undefined, () =>
      Promise.all(candidates.map((s) => this.leases.holder(s))),
    );
    if (holders === undefined) return;
    const free = candidates.filter((_, i) => holders[i] === null);
    let missing = wanted;
    while (missing > 0 && free.length > 0 && this.mode === 'running') {
      const batch = free.splice(0, missing);
      // Floors come from durable storage, outside the Redis step's timeout:
      // a slow read must not leave an acquired lease unknown to its holder.
      const floors = await Promise.all(batch.map((s) => this.epochFloor(s).catch(() => undefined)));
      const sentAt = this.clock.now();
      const leases = await Promise.all(
        batch.map((s, i) => {
          const floor = floors[i];
          return floor === undefined ? undefined : this.redisStep('acquire', s, () => this.leases.acquire(s, this.workerId, floor));
        }),
      );
      for (const [i, shard] of batch.entries()) {
        const lease = leases[i];
        if (lease === undefined || lease === null) continue;
        if (this.mode !== 'running') {
          // Stopped or killed while the call was in flight: hand it straight back.
          if (this.mode !== 'killed') {
            await this.redisStep('release', shard, () => this.leases.release(shard, this.workerId, lease.epoch));
          }
          continue;
        }
        missing -= 1;
        this.adopt(shard, lease.epoch, sentAt + this.ttlMs - this.safetyMarginMs);
      }
    }
  }

  private adopt(shard: number, epoch: bigint, validUntil: number): void {
    const owned: OwnedShard = { epoch, validUntil, phase: 'acquiring' };
    this.owned.set(shard, owned);
    this.logger.info({ workerId: this.workerId, shard, epoch: epoch.toString() }, 'shard lease acquired');
    this.enqueueShardOp(shard, async () => {
      try {
        await this.onAcquireCb(shard, epoch);
        if (owned.phase === 'acquiring') owned.phase = 'active';
      } catch (err) {
        this.logger.error({ err, workerId: this.workerId, shard }, 'onAcquire failed; giving the shard up');
        this.cooldownUntil.set(shard, this.clock.now() + this.ttlMs);
        if (this.owned.get(shard) === owned && owned.phase !== 'releasing') {
          owned.phase = 'releasing';
          await this.releaseSteps(shard, owned, 'rebalance');
        }
      }
    });
  }

  /** Stop the shard's work first, then stop claiming it, then free the lease. */
  private releaseVoluntarily(shard: number, owned: OwnedShard, reason: 'rebalance' | 'shutdown'): void {
    owned.phase = 'releasing';
    this.logger.info({ workerId: this.workerId, shard, reason }, 'releasing shard');
    this.enqueueShardOp(shard, () => this.releaseSteps(shard, owned, reason));
  }

  private async releaseSteps(shard: number, owned: OwnedShard, reason: ShardReleaseReason): Promise<void> {
    await this.callback(`onRelease(${reason})`, shard, () => this.onReleaseCb(shard, reason));
    if (this.owned.get(shard) === owned) this.owned.delete(shard);
    if (this.mode === 'killed') return;
    await this.redisStep('release', shard, () => this.leases.release(shard, this.workerId, owned.epoch));
  }

  private lose(shard: number, owned: OwnedShard, why: string): void {
    this.owned.delete(shard);
    this.logger.warn({ workerId: this.workerId, shard, epoch: owned.epoch.toString(), why }, 'shard lease lost');
    // A voluntary release already under way stops the shard's work; don't report twice.
    if (owned.phase === 'releasing') return;
    owned.phase = 'releasing';
    this.enqueueShardOp(shard, async () => {
      await this.callback("onRelease('lost')", shard, () => this.onReleaseCb(shard, 'lost'));
      // Compare-and-delete: frees it only if Redis still has this very epoch.
      if (this.mode !== 'killed') {
        await this.redisStep('release', shard, () => this.leases.release(shard, this.workerId, owned.epoch));
      }
    });
  }

  private enqueueShardOp(shard: number, op: () => Promise<void>): void {
    const previous = this.shardOps.get(shard) ?? Promise.resolve();
    const next = previous.then(op).catch((err: unknown) => {
      this.logger.error({ err, workerId: this.workerId, shard }, 'shard callback failed');
    });
    this.shardOps.set(shard, next);
    void next.then(() => {
      if (this.shardOps.get(shard) === next) this.shardOps.delete(shard);
    });
  }

  /** A Redis call, bounded so a hung connection can't stall renewals; failure -> undefined. */
  private async redisStep<T>(what: string, shard: number | undefined, fn: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${this.renewEveryMs} ms`)), this.renewEveryMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      this.logger.warn({ err, workerId: this.workerId, shard, what }, 'shard balancer step failed');
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A user callback: unbounded (it may drain jobs), errors logged, never thrown into the loop. */
  private async callback(what: string, shard: number, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.logger.error({ err, workerId: this.workerId, shard }, `${what} failed`);
    }
  }
}
