import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { sendQueueName, sessionIdFor, shardOf } from '@wa-dispatch/core';
import { createQueueConnection, SendProducer } from '@wa-dispatch/queue';
import type { TestDatabase, TestRedis } from '@wa-dispatch/testing';
import type { SimulatorControl } from '@wa-dispatch/whatsapp';
import { startStack, type E2eStack } from './support/e2e-stack.js';
import { insertQueuedMessage, insertTenant, statusCounts } from './support/tenant-fixtures.js';
import { waitUntil } from './support/wait-until.js';
import type { WorkerProcess } from './support/worker-process.js';

// The mission's floor: with many tenants and several worker processes, every
// message leaves through its own tenant's session and number, and jobs forged
// into Redis or dropped on the wrong shard are refused, never re-routed.
const SHARDS = 8;
const TENANTS = 20;
const PER_TENANT = 50;

let stack: E2eStack;
let db: TestDatabase;
let redis: TestRedis;
let control: SimulatorControl;
let producer: SendProducer;
let workers: WorkerProcess[] = [];

interface Tenant {
  chatId: bigint;
  phone: string;
}
const tenants: Tenant[] = Array.from({ length: TENANTS }, (_, i) => ({
  // mix of user ids and negative group ids, as Telegram hands them out
  chatId: i % 4 === 3 ? -(1_000_000_000_000n + BigInt(i)) : 700_000_000n + BigInt(i * 7919),
  phone: `5511990${String(i).padStart(6, '0')}`,
}));

beforeAll(async () => {
  stack = await startStack({
    name: 'isolation',
    shards: SHARDS,
    workerEnv: {
      WORKER_CONCURRENCY: '8',
      RECONCILE_INTERVAL_MS: '1000',
      // about isolation, not pacing (test/pacing.test.ts covers that)
      PACING: 'off',
    },
  });
  ({ db, redis, control, workers } = stack);
  producer = new SendProducer({ connection: redis.client, prefix: redis.prefix, shardCount: SHARDS });
  stack.onStop(() => producer.close());
  for (const t of tenants) await insertTenant(db.pool, t.chatId, SHARDS);
  await insertTenant(db.pool, 42n, SHARDS); // never linked
  await Promise.all([stack.spawnWorker('iso-a'), stack.spawnWorker('iso-b')]);
  await stack.linkAll(tenants);
}, 120_000);

afterAll(() => stack?.stop());

describe('isolation across tenants and worker processes', () => {
  it('both workers hold shards', async () => {
    await waitUntil(
      () => workers.every((w) => w.logs.some((l) => l.msg === 'shard acquired')),
      'each worker to acquire a shard',
    );
  });

  it('sends every message through its own tenant session and number, exactly once', async () => {
    const expected = new Map<string, Tenant>();
    const jobs = [];
    for (const t of tenants) {
      for (let n = 0; n < PER_TENANT; n++) {
        const text = `invoice ${t.chatId}#${n}`;
        const job = await insertQueuedMessage(db.pool, t.chatId, `5521980${String(n).padStart(6, '0')}`, text);
        expected.set(text, t);
        jobs.push(job);
      }
    }
    await producer.enqueueMany(jobs);
    const delivered = async () => {
      const c = await statusCounts(db.pool);
      return (c.sent ?? 0) + (c.delivered ?? 0) + (c.read ?? 0);
    };
    await waitUntil(async () => (await delivered()) === TENANTS * PER_TENANT, 'all messages sent', 60_000, 200).catch(
      async (err) => {
        console.error(await statusCounts(db.pool), (await db.pool.query(`SELECT error_code, count(*) FROM messages GROUP BY 1`)).rows);
        console.error(JSON.stringify(workers.map((w) => w.logs.filter((l) => Number(l.level) >= 40).slice(0, 5))));
        throw err;
      },
    );

    const sent = await control.sent();
    expect(sent).toHaveLength(TENANTS * PER_TENANT);
    const seen = new Set<string>();
    for (const record of sent) {
      const owner = expected.get(record.text);
      expect(owner, `unexpected send ${record.text}`).toBeDefined();
      expect(record.sessionId).toBe(sessionIdFor(owner!.chatId));
      expect(record.ownerChatId).toBe(owner!.chatId.toString());
      expect(record.fromNumber).toBe(owner!.phone);
      expect(seen.has(record.text)).toBe(false);
      seen.add(record.text);
    }
    expect(await control.duplicateSends()).toBe(0);
    // a claim may repeat when a lease moves mid-run (the row goes back to
    // queued before any send); the simulator's record above is the once-only proof
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM messages
       WHERE status IN ('sent', 'delivered', 'read') AND wa_message_id IS NOT NULL AND attempts >= 1`,
    );
    expect(rows[0].n).toBe(TENANTS * PER_TENANT);
  }, 120_000);

  it("refuses a forged job that pairs tenant A's chatId with tenant B's session", async () => {
    const a = tenants[0]!;
    const b = tenants[1]!;
    const before = await control.sentCount();
    const real = await insertQueuedMessage(db.pool, b.chatId, '5521970000001', 'forgery target');
    const forged = { messageId: real.messageId, chatId: a.chatId.toString(), sessionId: sessionIdFor(b.chatId) };
    const queue = new Queue(sendQueueName(shardOf(a.chatId, SHARDS)), {
      connection: createQueueConnection({ url: redis.url, role: 'producer' }),
      prefix: redis.prefix,
    });
    try {
      await queue.add('send', forged, { jobId: real.messageId });
      const audit = await waitUntil(async () => {
        const { rows } = await db.pool.query(
          `SELECT code, detail FROM audit_events WHERE action = 'job.refused' AND detail->>'messageId' = $1`,
          [real.messageId],
        );
        return rows[0];
      }, 'audit row for the forged job');
      expect(audit.code).toBe('SESSION.OWNER_MISMATCH');
      const { rows } = await db.pool.query(`SELECT status, error_code FROM messages WHERE id = $1`, [real.messageId]);
      expect(rows[0]).toEqual({ status: 'rejected', error_code: 'SESSION.OWNER_MISMATCH' });
      expect(await control.sentCount()).toBe(before);
      const job = await queue.getJob(real.messageId);
      await waitUntil(async () => (await job!.getState()) === 'failed', 'forged job failed');
      expect((await queue.getJob(real.messageId))!.attemptsMade).toBeLessThanOrEqual(1);
    } finally {
      await queue.close();
    }
  });

  it("refuses a job put on another shard's queue", async () => {
    const t = tenants.find((x) => shardOf(x.chatId, SHARDS) !== 0)!;
    const before = await control.sentCount();
    const job = await insertQueuedMessage(db.pool, t.chatId, '5521970000002', 'wrong shard');
    const queue = new Queue(sendQueueName(0), {
      connection: createQueueConnection({ url: redis.url, role: 'producer' }),
      prefix: redis.prefix,
    });
    try {
      await queue.add('send', job, { jobId: job.messageId });
      await waitUntil(async () => {
        const { rows } = await db.pool.query(`SELECT status, error_code FROM messages WHERE id = $1`, [job.messageId]);
        return rows[0].status === 'rejected' && rows[0].error_code === 'SHARD.WRONG_SHARD';
      }, 'wrong-shard job rejected');
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'job.refused' AND code = 'SHARD.WRONG_SHARD'
           AND detail->>'messageId' = $1`,
        [job.messageId],
      );
      expect(rows[0].n).toBe(1);
      expect(await control.sentCount()).toBe(before);
    } finally {
      await queue.close();
    }
  });

  it('refuses a job with unexpected data (a phone number smuggled in) and one naming no outbox row', async () => {
    const t = tenants[2]!;
    const before = await control.sentCount();
    const queue = new Queue(sendQueueName(shardOf(t.chatId, SHARDS)), {
      connection: createQueueConnection({ url: redis.url, role: 'producer' }),
      prefix: redis.prefix,
    });
    try {
      const ghost = { messageId: randomUUID(), chatId: t.chatId.toString(), sessionId: sessionIdFor(t.chatId) };
      await queue.add('send', { ...ghost, to: '5511999999999' }, { jobId: `smuggled-${ghost.messageId}` });
      await queue.add('send', ghost, { jobId: ghost.messageId });
      await waitUntil(async () => {
        const { rows } = await db.pool.query(
          `SELECT code FROM audit_events WHERE action = 'job.refused' AND code IN ('JOB.INVALID')`,
        );
        return rows.length >= 2;
      }, 'both refusals audited');
      expect(await control.sentCount()).toBe(before);
    } finally {
      await queue.close();
    }
  });

  it("files each customer's reply under the tenant whose number received it", async () => {
    const [a, b] = [tenants[4]!, tenants[5]!];
    const [original] = await control.sent({ sessionId: sessionIdFor(a.chatId) });
    await control.injectInbound(sessionIdFor(a.chatId), {
      fromPhone: '5521980000001',
      text: 'paid, thanks',
      quotedWaMessageId: original!.waMessageId,
    });
    await control.injectInbound(sessionIdFor(b.chatId), { fromPhone: '5521980000001', text: 'who is this?' });
    const rows = await waitUntil(async () => {
      const { rows } = await db.pool.query(
        `SELECT chat_id::text, session_id, from_phone, text, in_reply_to_id FROM inbound_messages ORDER BY received_at`,
      );
      return rows.length === 2 ? rows : undefined;
    }, 'both replies stored');
    if (!rows) throw new Error('unreachable');
    const forA = rows.find((r) => r.text === 'paid, thanks');
    const forB = rows.find((r) => r.text === 'who is this?');
    expect(forA).toMatchObject({ chat_id: a.chatId.toString(), session_id: sessionIdFor(a.chatId), from_phone: '5521980000001' });
    expect(forB).toMatchObject({ chat_id: b.chatId.toString(), session_id: sessionIdFor(b.chatId), in_reply_to_id: null });
    // the quoted message is found only among A's own messages
    const { rows: quoted } = await db.pool.query(`SELECT chat_id::text FROM messages WHERE id = $1`, [forA.in_reply_to_id]);
    expect(quoted[0]?.chat_id).toBe(a.chatId.toString());
  });

  it('fails a message for a tenant whose session was never linked, sending nothing', async () => {
    const before = await control.sentCount();
    const job = await insertQueuedMessage(db.pool, 42n, '5521970000003', 'no session yet');
    await producer.enqueue(job);
    await waitUntil(async () => {
      const { rows } = await db.pool.query(`SELECT status, error_code FROM messages WHERE id = $1`, [job.messageId]);
      return rows[0].status === 'failed' && rows[0].error_code === 'SESSION.NOT_LINKED';
    }, 'unlinked message failed');
    expect(await control.sentCount()).toBe(before);
    expect((await control.sent()).some((r) => r.text === 'no session yet')).toBe(false);
  });
});
