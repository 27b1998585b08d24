import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import type { SendJobData } from '@wa-dispatch/core';
import { createQueueConnection } from '../queue-connection.js';
import { SendProducer } from '../send-producer.js';
import { EnqueueAdmission } from './enqueue-admission.js';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
const A = 1001n;
const B = -100200300n;
const job = (chatId: bigint): SendJobData => ({ messageId: randomUUID(), chatId: chatId.toString(), sessionId: `user_${chatId}` });

describe('EnqueueAdmission (enqueue-admission.lua): fairness at enqueue', () => {
  let redis: TestRedis;
  let now = T0;
  let admission: EnqueueAdmission;
  const rate = { ratePerMinute: 300, burst: 3 }; // one slot per 200 ms

  beforeAll(async () => {
    redis = await createTestRedis('queue-admission');
    admission = new EnqueueAdmission({ redis: redis.client, prefix: redis.prefix, limitsFor: async () => rate, nowForTests: () => now });
  });
  beforeEach(async () => {
    now = T0;
    await redis.wipe();
  });
  afterAll(async () => {
    await redis.close();
  });

  it('an idle tenant gets its burst at once, then one slot per interval, across calls', async () => {
    expect(await admission.delays(A, 0, 6)).toEqual([0, 0, 0, 200, 400, 600]);
    expect(await admission.delays(A, 0, 2)).toEqual([800, 1000]);
    now = T0 + 500; // time passes: the same schedule, seen from later
    expect(await admission.delays(A, 0, 1)).toEqual([700]);
  });

  it('tenants are independent, and an idle period refills the burst', async () => {
    await admission.delays(A, 0, 10);
    expect(await admission.delays(B, 0, 4)).toEqual([0, 0, 0, 200]);
    now = T0 + 60_000;
    expect(await admission.delays(A, 0, 4)).toEqual([0, 0, 0, 200]);
  });

  it('keeps its key in the tenant shard slot and lets it expire once in the past', async () => {
    await admission.delays(A, 5, 3);
    const key = admission.keys.admit(A, 5);
    expect(key).toContain('{s5}');
    const ttl = await redis.client.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600 + 1000);
  });

  it('SendProducer spreads a burst into delayed jobs, per tenant, and survives an admission failure', async () => {
    const producer = new SendProducer({
      connection: createQueueConnection({ url: redis.url, role: 'producer' }),
      prefix: redis.prefix,
      shardCount: 1,
      admission,
    });
    try {
      const noisy = Array.from({ length: 20 }, () => job(A));
      const quiet = [job(B), job(B)];
      await producer.enqueueMany([...noisy, ...quiet]);
      await producer.enqueue(job(B));
      const q = producer.queueFor(0);
      const counts = await q.getJobCounts('waiting', 'delayed');
      // A: burst 3 waiting, 17 delayed; B: 3 within its burst, waiting
      expect(counts).toEqual({ waiting: 6, delayed: 17 });
      const delays = (await Promise.all(noisy.map((j) => q.getJob(j.messageId)))).map((j) => j!.opts.delay ?? 0);
      expect(delays).toEqual([0, 0, 0, ...Array.from({ length: 17 }, (_, i) => (i + 1) * 200)]);

      const failing = new SendProducer({
        connection: redis.client,
        prefix: redis.prefix,
        shardCount: 1,
        admission: { delays: async () => Promise.reject(new Error('redis down')) },
      });
      await failing.enqueue(job(B));
      expect((await q.getJobCounts('waiting')).waiting).toBe(7);
      await failing.close();
    } finally {
      await producer.close();
    }
  });
});
