import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { AppError } from '@wa-dispatch/core';
import { createQueueConnection } from './queue-connection.js';
import { ShardBalancer, type ShardBalancerOptions, type ShardReleaseReason } from './shard-balancer.js';
import { ShardLeaseStore, type LeaseHolder } from './shard-lease.js';
import { WorkerRegistry } from './worker-registry.js';
import { waitFor } from './test-support/wait-for.js';

const SHARDS = 8;
const TTL = 900;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ReleaseEvent {
  shard: number;
  reason: ShardReleaseReason;
  /** The Redis lease as seen when onRelease was called (and when it returned). */
  holderAtStart: LeaseHolder | null;
  holderAtEnd: LeaseHolder | null;
}

interface TestWorker {
  id: string;
  balancer: ShardBalancer;
  leases: ShardLeaseStore;
  acquired: { shard: number; epoch: bigint }[];
  released: ReleaseEvent[];
  errors: unknown[];
  connection: Redis;
}

type Hooks = Partial<Pick<ShardBalancerOptions, 'onAcquire' | 'onRelease' | 'clock' | 'ttlMs'>> & {
  releaseDelayMs?: number;
  leaseTtlMs?: number;
};

describe('ShardBalancer', () => {
  let redis: TestRedis;
  let workers: TestWorker[];
  let sampler: NodeJS.Timeout | undefined;
  let overlaps: string[];

  beforeEach(async () => {
    redis = await createTestRedis('queue-balancer');
    workers = [];
    overlaps = [];
  });
  afterEach(async () => {
    clearInterval(sampler);
    for (const w of workers) w.balancer.kill();
    await sleep(50);
    for (const w of workers) w.connection.disconnect();
    await redis.close();
  });

  function makeWorker(id: string, hooks: Hooks = {}): TestWorker {
    // One connection per worker, as if each ran in its own process.
    const connection = createQueueConnection({ url: redis.url, role: 'producer' });
    const leases = new ShardLeaseStore({ redis: connection, prefix: redis.prefix, ttlMs: hooks.leaseTtlMs ?? TTL });
    const registry = new WorkerRegistry({ redis: connection, prefix: redis.prefix });
    const acquired: TestWorker['acquired'] = [];
    const released: ReleaseEvent[] = [];
    const errors: unknown[] = [];
    const balancer = new ShardBalancer({
      leases,
      registry,
      workerId: id,
      shardCount: SHARDS,
      ...(hooks.ttlMs === undefined ? {} : { ttlMs: hooks.ttlMs }),
      ...(hooks.clock === undefined ? {} : { clock: hooks.clock }),
      logger: { info() {}, warn() {}, error: (obj) => errors.push(obj) },
      onAcquire: async (shard, epoch) => {
        acquired.push({ shard, epoch });
        await hooks.onAcquire?.(shard, epoch);
      },
      onRelease: async (shard, reason) => {
        const event: ReleaseEvent = { shard, reason, holderAtStart: await leases.holder(shard), holderAtEnd: null };
        released.push(event);
        try {
          if (hooks.releaseDelayMs !== undefined) await sleep(hooks.releaseDelayMs);
          await hooks.onRelease?.(shard, reason);
        } finally {
          event.holderAtEnd = await leases.holder(shard);
        }
      },
    });
    const w: TestWorker = { id, balancer, leases, acquired, released, errors, connection };
    workers.push(w);
    return w;
  }

  /** Watches, every few ms, that no two workers consider themselves holder of one shard. */
  function watchExclusivity(): void {
    sampler = setInterval(() => {
      for (let shard = 0; shard < SHARDS; shard++) {
        const holding = workers.filter((w) => w.balancer.holds(shard) !== undefined).map((w) => w.id);
        if (holding.length > 1) overlaps.push(`shard ${shard}: ${holding.join(',')}`);
      }
    }, 3);
  }

  async function redisHolders(): Promise<(LeaseHolder | null)[]> {
    const store = workers[0]!.leases;
    return Promise.all(Array.from({ length: SHARDS }, (_, s) => store.holder(s)));
  }

  /** Redis and every worker's local view agree: each shard is held by exactly the worker that owns it. */
  async function consistent(): Promise<boolean> {
    const holders = await redisHolders();
    return holders.every((h, shard) => {
      const owners = workers.filter((w) => w.balancer.ownedShards().includes(shard));
      return (
        h !== null &&
        owners.length === 1 &&
        owners[0]!.id === h.workerId &&
        owners[0]!.balancer.holds(shard)?.epoch === h.epoch
      );
    });
  }

  const owns = (w: TestWorker, n: number) => () => w.balancer.ownedShards().length === n;

  it('a lone worker takes every shard', async () => {
    const a = makeWorker('worker-a');
    await a.balancer.start();
    await waitFor(owns(a, SHARDS));
    await waitFor(consistent);
    expect(a.acquired.map((e) => e.shard).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (let s = 0; s < SHARDS; s++) expect(a.balancer.epochOf(s)).toBe(a.balancer.holds(s)?.epoch);
  });

  it('a newcomer gets half, never overlapping, each release reported before the lease is freed', async () => {
    watchExclusivity();
    const a = makeWorker('worker-a');
    await a.balancer.start();
    await waitFor(owns(a, SHARDS));
    const epochsOfA = new Map(a.acquired.map((e) => [e.shard, e.epoch]));

    const b = makeWorker('worker-b');
    await b.balancer.start();
    await waitFor(() => owns(a, 4)() && owns(b, 4)());
    await waitFor(consistent);

    expect(a.released).toHaveLength(4);
    for (const r of a.released) {
      expect(r.reason).toBe('rebalance');
      // onRelease ran (start to end) while the lease was still A's, under A's epoch.
      expect(r.holderAtStart).toEqual({ workerId: 'worker-a', epoch: epochsOfA.get(r.shard) });
      expect(r.holderAtEnd).toEqual({ workerId: 'worker-a', epoch: epochsOfA.get(r.shard) });
    }
    for (const { shard, epoch } of b.acquired) expect(epoch > epochsOfA.get(shard)!).toBe(true);
    expect(b.acquired.map((e) => e.shard).sort()).toEqual(a.released.map((r) => r.shard).sort());

    // Settled: a few more rounds change nothing.
    await sleep(TTL * 2);
    expect(a.released).toHaveLength(4);
    expect(b.acquired).toHaveLength(4);
    expect(await consistent()).toBe(true);
    expect(overlaps).toEqual([]);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('a graceful stop reports shutdown, keeps renewing during a slow drain, then hands everything over', async () => {
    watchExclusivity();
    const a = makeWorker('worker-a', { releaseDelayMs: TTL * 2 });
    const b = makeWorker('worker-b');
    await a.balancer.start();
    await waitFor(owns(a, SHARDS));
    await b.balancer.start();
    await waitFor(() => owns(a, 4)() && owns(b, 4)(), 15_000);
    const ownedByA = a.balancer.ownedShards();
    a.released.length = 0;

    await a.balancer.stop();
    expect(a.balancer.ownedShards()).toEqual([]);
    expect(a.released.map((r) => r.shard).sort()).toEqual(ownedByA);
    for (const r of a.released) {
      expect(r.reason).toBe('shutdown');
      // Still A's after draining for longer than the ttl: renewals went on.
      expect(r.holderAtEnd?.workerId).toBe('worker-a');
    }
    expect(await new WorkerRegistry({ redis: redis.client, prefix: redis.prefix }).liveWorkers()).toEqual([
      'worker-b',
    ]);

    await waitFor(owns(b, SHARDS));
    await waitFor(consistent);
    expect(overlaps).toEqual([]);
    expect(a.released.some((r) => r.reason === 'lost')).toBe(false);
  });

  it('a killed worker’s shards pass to the survivor after the ttl, under higher epochs', async () => {
    watchExclusivity();
    const a = makeWorker('worker-a');
    const b = makeWorker('worker-b');
    await a.balancer.start();
    await waitFor(owns(a, SHARDS));
    await b.balancer.start();
    await waitFor(() => owns(a, 4)() && owns(b, 4)());
    const ownedByA = a.balancer.ownedShards();
    const epochsOfA = new Map(ownedByA.map((s) => [s, a.balancer.holds(s)!.epoch]));
    const releasedBefore = a.released.length;

    a.balancer.kill();
    await waitFor(owns(b, SHARDS));
    expect(a.released).toHaveLength(releasedBefore);
    for (const s of ownedByA) {
      expect(b.balancer.holds(s)!.epoch > epochsOfA.get(s)!).toBe(true);
      expect(a.balancer.holds(s)).toBeUndefined();
    }
    expect(overlaps).toEqual([]);
  });

  it('a frozen worker stops claiming its shards on its own clock, before Redis lets them go', async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    const a = makeWorker('worker-a', { clock, leaseTtlMs: 30_000, ttlMs: 30_000 });
    await a.balancer.start();
    await waitFor(owns(a, SHARDS));
    a.balancer.kill();

    // 10% safety margin: local validity ends at +27 s; Redis would keep the lease until +30 s.
    now += 26_999;
    for (let s = 0; s < SHARDS; s++) expect(a.balancer.holds(s)).toBeDefined();
    now += 1;
    for (let s = 0; s < SHARDS; s++) expect(a.balancer.holds(s)).toBeUndefined();
    const holders = await redisHolders();
    expect(holders.every((h) => h?.workerId === 'worker-a')).toBe(true);
  });

  it('a lease taken away is reported lost at once and not claimed any more', async () => {
    const a = makeWorker('worker-a');
    await a.balancer.start();
    await waitFor(owns(a, SHARDS));
    await redis.client.set(`${redis.prefix}:lease:{s3}`, 'intruder:999999', 'PX', 60_000);

    await waitFor(() => a.released.some((r) => r.shard === 3));
    expect(a.released).toEqual([expect.objectContaining({ shard: 3, reason: 'lost' })]);
    expect(a.balancer.holds(3)).toBeUndefined();
    expect(a.balancer.ownedShards()).not.toContain(3);
    // Its compare-and-delete must not free the intruder's lease.
    expect(await a.leases.holder(3)).toEqual({ workerId: 'intruder', epoch: 999999n });

    await redis.client.del(`${redis.prefix}:lease:{s3}`);
    await waitFor(() => a.balancer.holds(3) !== undefined);
    expect(a.balancer.holds(3)!.epoch).toBeGreaterThan(0n);
  });

  it('keeps renewing while onAcquire is slow, and survives callbacks that throw', async () => {
    const failedOnce = new Set<number>();
    const a = makeWorker('worker-a', {
      onAcquire: async (shard) => {
        if (shard % 2 === 0 && !failedOnce.has(shard)) {
          failedOnce.add(shard);
          throw new Error('boom');
        }
        await sleep(TTL * 2);
      },
      onRelease: async () => {
        throw new Error('release boom');
      },
    });
    await a.balancer.start();
    // Even shards are given up once (cooldown of one ttl), then taken again.
    await waitFor(() => a.acquired.length === SHARDS + 4 && owns(a, SHARDS)(), 15_000);
    await sleep(TTL * 2);
    expect(a.released.filter((r) => r.reason === 'lost')).toEqual([]);
    expect(a.errors.length).toBeGreaterThanOrEqual(4);
    expect(await consistent()).toBe(true);
  });

  it('refuses settings under which validity would lapse between renewals', () => {
    const connection = redis.client;
    const leases = new ShardLeaseStore({ redis: connection, prefix: redis.prefix, ttlMs: TTL });
    const registry = new WorkerRegistry({ redis: connection, prefix: redis.prefix });
    const base = { leases, registry, workerId: 'w', shardCount: SHARDS, onAcquire: async () => {}, onRelease: async () => {} };
    expect(() => new ShardBalancer({ ...base, renewEveryMs: TTL })).toThrow(AppError);
    expect(() => new ShardBalancer({ ...base, ttlMs: TTL * 2 })).toThrow(AppError);
    expect(() => new ShardBalancer({ ...base, shardCount: 0 })).toThrow(AppError);
  });
});
