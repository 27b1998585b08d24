import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { AppError, shardOf, shardTag } from '@wa-dispatch/core';
import { KeyLayout, REMINDERS_QUEUE_NAME, WEBHOOKS_QUEUE_NAME } from './key-layout.js';
import { SendProducer } from './send-producer.js';
import { ShardLeaseStore } from './shard-lease.js';
import { WorkerRegistry } from './worker-registry.js';
import { crc16, hashTagOf, keySlot } from './test-support/cluster-slot.js';

const SHARDS = 8;

async function scanAll(redis: TestRedis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.client.scan(cursor, 'MATCH', `${redis.prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

describe('slot maths (test helper)', () => {
  it('matches the values in the Redis Cluster spec', () => {
    expect(crc16('123456789')).toBe(0x31c3);
    expect(hashTagOf('{user1000}.following')).toBe('user1000');
    expect(hashTagOf('foo{}{bar}')).toBe('foo{}{bar}');
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
  });
});

describe('KeyLayout', () => {
  it('builds the documented names', () => {
    const keys = new KeyLayout('wad');
    expect(keys.leaseKey(3)).toBe('wad:lease:{s3}');
    expect(keys.epochKey(3)).toBe('wad:epoch:{s3}');
    expect(keys.workersKey()).toBe('wad:workers');
    expect(keys.sendQueueName(3)).toBe('send.{s3}');
    expect(keys.queueKeyStem(keys.sendQueueName(3))).toBe('wad:send.{s3}');
    expect(new KeyLayout().prefix).toBe('wad');
  });

  it.each(['', 'a:b', '{x}', 'a b', 'x}'])('refuses prefix %j', (prefix) => {
    expect(() => new KeyLayout(prefix)).toThrow(AppError);
  });
});

describe('one shard, one cluster slot', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await createTestRedis('queue-keys');
  });
  afterAll(async () => {
    await redis.close();
  });

  it('puts lease, epoch and every BullMQ key of a shard in the slot of its tag', async () => {
    const producer = new SendProducer({ connection: redis.client, prefix: redis.prefix, shardCount: SHARDS });
    const leases = new ShardLeaseStore({ redis: redis.client, prefix: redis.prefix, ttlMs: 60_000 });
    const registry = new WorkerRegistry({ redis: redis.client, prefix: redis.prefix });
    const chatIds = [1001n, 1002n, 1003n, 1004n, 1005n, -100123n];
    try {
      for (const chatId of chatIds) {
        await producer.enqueue({ messageId: randomUUID(), chatId: chatId.toString(), sessionId: `user_${chatId}` });
        await leases.acquire(producer.shardFor(chatId), 'w1');
      }
      await registry.heartbeat('w1', 60_000);

      const keys = await scanAll(redis);
      const shards = new Set(chatIds.map((c) => shardOf(c, SHARDS)));
      for (const shard of shards) {
        const tag = shardTag(shard);
        const own = keys.filter((k) => k.includes(tag));
        expect(own).toContain(`${redis.prefix}:lease:${tag}`);
        expect(own).toContain(`${redis.prefix}:epoch:${tag}`);
        expect(own.filter((k) => k.startsWith(`${redis.prefix}:send.${tag}:`)).length).toBeGreaterThan(2);
        const slots = new Set(own.map(keySlot));
        expect(slots).toEqual(new Set([keySlot(tag)]));
        for (const key of own) expect(hashTagOf(key)).toBe(`s${shard}`);
      }
      // Everything else under the prefix is a single-key structure.
      expect(keys.filter((k) => !k.includes('{'))).toEqual([`${redis.prefix}:workers`]);
    } finally {
      await producer.close();
    }
  });

  it.each([REMINDERS_QUEUE_NAME, WEBHOOKS_QUEUE_NAME])('keeps all keys of queue %s in one slot', async (name) => {
    const queue = new Queue(name, { connection: redis.client, prefix: redis.prefix });
    try {
      await queue.add('x', { n: 1 }, { jobId: randomUUID() });
      await queue.add('x', { n: 2 }, { delay: 60_000 });
      const keys = (await scanAll(redis)).filter((k) => k.startsWith(`${redis.prefix}:${name}:`));
      expect(keys.length).toBeGreaterThan(2);
      expect(new Set(keys.map(keySlot)).size).toBe(1);
    } finally {
      await queue.close();
    }
  });
});
