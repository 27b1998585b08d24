import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { AppError } from '@wa-dispatch/core';
import { KeyLayout } from './key-layout.js';
import { ShardLeaseStore } from './shard-lease.js';
import { waitFor } from './test-support/wait-for.js';

describe('ShardLeaseStore', () => {
  let redis: TestRedis;
  let leases: ShardLeaseStore;
  let short: ShardLeaseStore;

  beforeAll(async () => {
    redis = await createTestRedis('queue-lease');
    leases = new ShardLeaseStore({ redis: redis.client, prefix: redis.prefix, ttlMs: 60_000 });
    short = new ShardLeaseStore({ redis: redis.client, prefix: redis.prefix, ttlMs: 200 });
  });
  beforeEach(async () => {
    await redis.wipe();
  });
  afterAll(async () => {
    await redis.close();
  });

  it('is exclusive: a held lease cannot be acquired, not even by its holder', async () => {
    const a = await leases.acquire(3, 'worker-a');
    expect(a).not.toBeNull();
    expect(await leases.acquire(3, 'worker-b')).toBeNull();
    expect(await leases.acquire(3, 'worker-a')).toBeNull();
    expect(await leases.holder(3)).toEqual({ workerId: 'worker-a', epoch: a?.epoch });
    // Other shards are independent.
    expect(await leases.acquire(4, 'worker-b')).not.toBeNull();
  });

  it('stores `${workerId}:${epoch}` with a ttl, and leaves the epoch counter without one', async () => {
    const a = await short.acquire(0, 'w:with:colons');
    expect(await redis.client.get(`${redis.prefix}:lease:{s0}`)).toBe(`w:with:colons:${a?.epoch}`);
    expect(await redis.client.pttl(`${redis.prefix}:lease:{s0}`)).toBeGreaterThan(0);
    expect(await redis.client.pttl(`${redis.prefix}:epoch:{s0}`)).toBe(-1);
    expect(await short.holder(0)).toEqual({ workerId: 'w:with:colons', epoch: a?.epoch });
  });

  it('epochs strictly increase across acquire / release / expire / acquire', async () => {
    const seen: bigint[] = [];
    const first = await short.acquire(1, 'a');
    seen.push(first!.epoch);
    expect(await short.release(1, 'a', first!.epoch)).toBe(true);
    const second = await short.acquire(1, 'b');
    seen.push(second!.epoch);
    await waitFor(async () => (await short.holder(1)) === null, 5_000);
    const third = await short.acquire(1, 'a');
    seen.push(third!.epoch);
    // Even with the counter far past 2^53 the epoch round-trips exactly.
    await redis.client.set(`${redis.prefix}:epoch:{s1}`, '9007199254740993');
    await short.release(1, 'a', third!.epoch);
    const fourth = await short.acquire(1, 'a');
    seen.push(fourth!.epoch);
    expect(fourth!.epoch).toBe(9007199254740994n);
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
  });

  it('renew and release fail for a non-holder or a stale epoch, and succeed for the holder', async () => {
    const a = (await leases.acquire(2, 'a'))!;
    expect(await leases.renew(2, 'b', a.epoch)).toBe(false);
    expect(await leases.renew(2, 'a', a.epoch - 1n)).toBe(false);
    expect(await leases.renew(2, 'a', a.epoch + 1n)).toBe(false);
    expect(await leases.release(2, 'b', a.epoch)).toBe(false);
    expect(await leases.release(2, 'a', a.epoch - 1n)).toBe(false);
    expect(await leases.holder(2)).toEqual({ workerId: 'a', epoch: a.epoch });

    await redis.client.pexpire(`${redis.prefix}:lease:{s2}`, 5_000);
    expect(await leases.renew(2, 'a', a.epoch)).toBe(true);
    expect(await redis.client.pttl(`${redis.prefix}:lease:{s2}`)).toBeGreaterThan(5_000);
    expect(await leases.release(2, 'a', a.epoch)).toBe(true);
    expect(await leases.holder(2)).toBeNull();
    expect(await leases.renew(2, 'a', a.epoch)).toBe(false);
    expect(await leases.release(2, 'a', a.epoch)).toBe(false);
  });

  it('after expiry another worker acquires with a higher epoch, and the old holder cannot renew it', async () => {
    const a = (await short.acquire(5, 'a'))!;
    const b = await waitFor(() => short.acquire(5, 'b'), 5_000);
    expect(b.epoch > a.epoch).toBe(true);
    expect(await short.renew(5, 'a', a.epoch)).toBe(false);
    expect(await short.release(5, 'a', a.epoch)).toBe(false);
    expect((await short.holder(5))?.workerId).toBe('b');
  });

  it('rejects bad configuration and worker ids', async () => {
    expect(() => new ShardLeaseStore({ redis: redis.client, prefix: redis.prefix, ttlMs: 0 })).toThrow(AppError);
    expect(() => new ShardLeaseStore({ redis: redis.client, prefix: 'a:b', ttlMs: 1000 })).toThrow(AppError);
    await expect(leases.acquire(0, '')).rejects.toThrow(AppError);
    await expect(leases.acquire(0, 'has space')).rejects.toThrow(AppError);
  });
});

describe('epoch floor', () => {
  it('issues an epoch above a durable floor when the Redis counter was lost', async () => {
    const redis = await createTestRedis('lease-floor');
    try {
      const store = new ShardLeaseStore({ redis: redis.client, prefix: redis.prefix, ttlMs: 5_000 });
      const first = await store.acquire(2, 'w1');
      expect(first?.epoch).toBe(1n);
      await redis.wipe(); // Redis lost everything, counter included
      const second = await store.acquire(2, 'w2', 41n);
      expect(second?.epoch).toBe(42n);
      await redis.client.del(new KeyLayout(redis.prefix).leaseKey(2));
      expect((await store.acquire(2, 'w3', 10n))?.epoch).toBe(43n);
    } finally {
      await redis.close();
    }
  });
});
