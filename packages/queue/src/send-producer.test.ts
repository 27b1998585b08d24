import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { AppError, SEND_JOB_NAME, type SendJobData, sendQueueName, shardOf } from '@wa-dispatch/core';
import { createQueueConnection } from './queue-connection.js';
import { SendProducer } from './send-producer.js';
import { waitFor } from './test-support/wait-for.js';

const SHARDS = 8;

function job(chatId: bigint, messageId = randomUUID()): SendJobData {
  return { messageId, chatId: chatId.toString(), sessionId: `user_${chatId}` };
}

async function expectAppError(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppError.is(err)).toBe(true);
  expect((err as AppError).code).toBe(code);
}

describe('SendProducer', () => {
  let redis: TestRedis;
  let producer: SendProducer;

  beforeAll(async () => {
    redis = await createTestRedis('queue-producer');
    producer = new SendProducer({
      connection: createQueueConnection({ url: redis.url, role: 'producer' }),
      prefix: redis.prefix,
      shardCount: SHARDS,
    });
  });
  beforeEach(async () => {
    await redis.wipe();
  });
  afterAll(async () => {
    await producer.close();
    await redis.close();
  });

  async function jobCount(): Promise<number> {
    let total = 0;
    for (const q of producer.allQueues()) {
      const counts = await q.getJobCounts();
      total += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    return total;
  }

  it('adds job "send" with jobId = messageId, on the shard of its chatId, carrying ids only', async () => {
    const data = job(5551234n);
    await producer.enqueue(data);

    const shard = shardOf(5551234n, SHARDS);
    const queue = producer.queueFor(shard);
    expect(queue.name).toBe(sendQueueName(shard));
    const stored = await queue.getJob(data.messageId);
    expect(stored?.id).toBe(data.messageId);
    expect(stored?.name).toBe(SEND_JOB_NAME);
    expect(stored?.data).toStrictEqual({ messageId: data.messageId, chatId: '5551234', sessionId: 'user_5551234' });
    expect(stored?.opts.attempts).toBe(5);
    expect(stored?.opts.removeOnComplete).toEqual({ age: 3600, count: 10_000 });
    expect(stored?.opts.removeOnFail).toEqual({ age: 7 * 24 * 3600 });

    // The raw hash in Redis carries the same three ids, nothing else.
    const raw = await redis.client.hget(`${redis.prefix}:${sendQueueName(shard)}:${data.messageId}`, 'data');
    expect(Object.keys(JSON.parse(raw ?? '{}')).sort()).toEqual(['chatId', 'messageId', 'sessionId']);

    for (let other = 0; other < SHARDS; other++) {
      if (other !== shard) expect(await producer.queueFor(other).getJob(data.messageId)).toBeUndefined();
    }
    expect(await jobCount()).toBe(1);
  });

  it('treats a duplicate enqueue as a no-op', async () => {
    const data = job(42n);
    await producer.enqueue(data);
    await producer.enqueue(data);
    await producer.enqueueMany([data, data]);
    expect(await jobCount()).toBe(1);
  });

  it('enqueueMany spreads a batch over the shards', async () => {
    const jobs = Array.from({ length: 40 }, (_, i) => job(BigInt(7_000 + i)));
    await producer.enqueueMany(jobs);
    for (const j of jobs) {
      const q = producer.queueFor(shardOf(BigInt(j.chatId), SHARDS));
      expect((await q.getJob(j.messageId))?.data).toStrictEqual(j);
    }
    expect(await jobCount()).toBe(40);
  });

  it.each<[string, unknown]>([
    ['a phone number field', { ...job(1n), to: '+5511999990000' }],
    ['a text field', { ...job(1n), text: 'hello' }],
    ['a non-uuid messageId', { ...job(1n), messageId: 'abc' }],
    ['a numeric chatId', { ...job(1n), chatId: 1 }],
    ['a malformed sessionId', { ...job(1n), sessionId: 'bot_clientes' }],
    ['a missing sessionId', { messageId: randomUUID(), chatId: '1' }],
  ])('rejects %s with JOB.INVALID and adds nothing', async (_label, bad) => {
    await expectAppError(producer.enqueue(bad as SendJobData), 'JOB.INVALID');
    await expectAppError(producer.enqueueMany([job(2n), bad as SendJobData]), 'JOB.INVALID');
    expect(await jobCount()).toBe(0);
  });

  it('does not echo rejected values in the error', async () => {
    const err = await producer.enqueue({ ...job(1n), to: '+5511999990000' } as SendJobData).catch((e: unknown) => e);
    expect(JSON.stringify((err as AppError).details)).not.toContain('5511999990000');
    expect((err as AppError).message).not.toContain('5511999990000');
  });

  it('hasJob sees a job in its shard queue in any state, and not once it is gone', async () => {
    const data = job(9090n);
    expect(await producer.hasJob(data.messageId, 9090n)).toBe(false);
    await producer.enqueue(data);
    expect(await producer.hasJob(data.messageId, 9090n)).toBe(true);
    expect(await producer.hasJob(data.messageId, '9090')).toBe(true);
    const q = producer.queueFor(shardOf(9090n, SHARDS));
    const connection = createQueueConnection({ url: redis.url, role: 'worker' });
    const worker = new Worker(q.name, async () => 'done', { connection, prefix: redis.prefix });
    try {
      await waitFor(async () => (await q.getJobState(data.messageId)) === 'completed');
    } finally {
      await worker.close();
      connection.disconnect();
    }
    expect(await producer.hasJob(data.messageId, 9090n)).toBe(true);
    await q.remove(data.messageId);
    expect(await producer.hasJob(data.messageId, 9090n)).toBe(false);
  });

  it('rejects shards outside 0..shardCount-1', () => {
    expect(() => producer.queueFor(SHARDS)).toThrow(AppError);
    expect(() => producer.queueFor(-1)).toThrow(AppError);
  });

  it('opens and closes its own connection when given options', async () => {
    const url = new URL(redis.url);
    const own = new SendProducer({
      connection: { host: url.hostname, port: Number(url.port || 6379) },
      prefix: redis.prefix,
      shardCount: SHARDS,
    });
    const data = job(31337n);
    await own.enqueue(data);
    expect(await own.hasJob(data.messageId, 31337n)).toBe(true);
    await own.close();
    expect(() => own.queueFor(0)).toThrow(AppError);
  });
});

describe('restore (reconciler support)', () => {
  it('re-adds a job Redis lost, replaces a finished one, and leaves a waiting one alone', async () => {
    const redis = await createTestRedis('producer-restore');
    const producer = new SendProducer({ connection: redis.client, prefix: redis.prefix, shardCount: 4 });
    const job = { messageId: randomUUID(), chatId: '42', sessionId: 'user_42' };
    const queue = producer.queueFor(producer.shardFor(job.chatId));
    let worker: Worker | undefined;
    try {
      expect(await producer.restore(job)).toBe(true);
      expect(await producer.restore(job)).toBe(false); // still waiting
      await redis.wipe(); // Redis lost everything
      expect(await producer.hasJob(job.messageId, job.chatId)).toBe(false);
      expect(await producer.restore(job)).toBe(true);
      expect(await queue.getJobState(job.messageId)).toBe('waiting');

      worker = new Worker(queue.name, async () => 'done', {
        connection: createQueueConnection({ url: redis.url, role: 'worker' }),
        prefix: redis.prefix,
      });
      await waitFor(async () => (await queue.getJobState(job.messageId)) === 'completed', 5_000);
      await worker.close();
      expect(await producer.restore(job)).toBe(true); // finished job, row still pending: replaced
      expect(await queue.getJobState(job.messageId)).toBe('waiting');
      const restored = await queue.getJob(job.messageId);
      expect(Object.keys(restored!.data).sort()).toEqual(['chatId', 'messageId', 'sessionId']);
    } finally {
      await worker?.close();
      await producer.close();
      await redis.close();
    }
  });
});
