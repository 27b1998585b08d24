import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { WorkerRegistry } from './worker-registry.js';
import { waitFor } from './test-support/wait-for.js';

describe('WorkerRegistry', () => {
  let redis: TestRedis;
  let registry: WorkerRegistry;

  beforeAll(async () => {
    redis = await createTestRedis('queue-registry');
    registry = new WorkerRegistry({ redis: redis.client, prefix: redis.prefix });
  });
  afterAll(async () => {
    await redis.close();
  });

  it('counts live workers, prunes expired ones and forgets those that leave', async () => {
    expect(await registry.heartbeat('a', 60_000)).toBe(1);
    expect(await registry.heartbeat('b', 60_000)).toBe(2);
    expect(await registry.heartbeat('a', 60_000)).toBe(2);
    expect(await registry.heartbeat('short', 150)).toBe(3);
    expect((await registry.liveWorkers()).sort()).toEqual(['a', 'b', 'short']);

    await waitFor(async () => (await registry.liveWorkers()).length === 2, 5_000);
    expect((await registry.liveWorkers()).sort()).toEqual(['a', 'b']);
    // Pruned from Redis, not just filtered out of the reply.
    expect(await redis.client.zscore(`${redis.prefix}:workers`, 'short')).toBeNull();

    await registry.leave('a');
    expect(await registry.liveWorkers()).toEqual(['b']);
  });

  it('scores by Redis TIME', async () => {
    const [sec, usec] = await redis.client.time();
    await registry.heartbeat('timed', 10_000);
    const score = Number(await redis.client.zscore(`${redis.prefix}:workers`, 'timed'));
    const redisNow = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
    expect(score).toBeGreaterThanOrEqual(redisNow + 10_000);
    expect(score).toBeLessThan(redisNow + 10_000 + 5_000);
  });
});
