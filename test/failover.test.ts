import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SendProducer } from '@wa-dispatch/queue';
import type { TestDatabase } from '@wa-dispatch/testing';
import type { SimulatorControl } from '@wa-dispatch/whatsapp';
import { startStack, type DispatchRedis, type E2eStack } from './support/e2e-stack.js';
import { insertQueuedMessage, insertTenant, statusCounts } from './support/tenant-fixtures.js';
import { waitUntil } from './support/wait-until.js';
import type { WorkerProcess } from './support/worker-process.js';

// Durability: an accepted message survives a worker killed mid-batch and a
// Redis that loses everything, and none is sent twice. The dispatcher's Redis
// is a private server (so FLUSHALL hurts nobody else); the simulator, which
// plays WhatsApp, lives on the shared server and keeps its record.
const SHARDS = 8;
const TENANTS = 10;
const PER_TENANT = 120;
const TOTAL = TENANTS * PER_TENANT;

let stack: E2eStack;
let db: TestDatabase;
let dispatchRedis: DispatchRedis;
let control: SimulatorControl;
let producer: SendProducer;
let workers: WorkerProcess[];

const tenants = Array.from({ length: TENANTS }, (_, i) => ({
  chatId: 910_000_000n + BigInt(i * 104_729),
  phone: `5531988${String(i).padStart(6, '0')}`,
}));

async function delivered(): Promise<number> {
  const c = await statusCounts(db.pool);
  return (c.sent ?? 0) + (c.delivered ?? 0) + (c.read ?? 0);
}

beforeEach(async () => {
  stack = await startStack({
    name: 'failover',
    shards: SHARDS,
    privateDispatchRedis: true,
    workerEnv: {
      LEASE_TTL_MS: '1500',
      WORKER_CONCURRENCY: '4',
      RECONCILE_INTERVAL_MS: '500',
      RECONCILE_MIN_AGE_MS: '1000',
      // about durability, not pacing (test/pacing.test.ts covers that)
      PACING: 'off',
    },
  });
  ({ db, control, workers, dispatch: dispatchRedis } = stack);
  producer = new SendProducer({ connection: dispatchRedis.client, prefix: dispatchRedis.prefix, shardCount: SHARDS });
  stack.onStop(() => producer.close());
  for (const t of tenants) await insertTenant(db.pool, t.chatId, SHARDS);
  await Promise.all([stack.spawnWorker('fo-a'), stack.spawnWorker('fo-b')]);
  await stack.linkAll(tenants);
}, 90_000);

afterEach(() => stack?.stop());

async function enqueueAll(): Promise<void> {
  const jobs = [];
  for (const t of tenants) {
    for (let n = 0; n < PER_TENANT; n++) {
      jobs.push(await insertQueuedMessage(db.pool, t.chatId, `5521977${String(n).padStart(6, '0')}`, `fo ${t.chatId}#${n}`));
    }
  }
  await producer.enqueueMany(jobs);
}

async function expectEachSentOnce(): Promise<void> {
  await waitUntil(async () => (await delivered()) === TOTAL, `all ${TOTAL} messages sent`, 60_000, 200).catch(async (err) => {
    console.error(await statusCounts(db.pool));
    throw err;
  });
  const sent = await control.sent();
  const texts = sent.map((s) => s.text);
  expect(new Set(texts).size).toBe(TOTAL);
  expect(texts).toHaveLength(TOTAL);
  expect(await control.duplicateSends()).toBe(0);
  const { rows } = await db.pool.query(
    `SELECT count(*)::int AS n FROM messages WHERE status NOT IN ('sent','delivered','read')`,
  );
  expect(rows[0].n).toBe(0);
}

describe('durability', () => {
  it('SIGKILL of one of two workers mid-run: the other takes its shards over, each message sent once', async () => {
    const [a, b] = workers as [WorkerProcess, WorkerProcess];
    await enqueueAll();
    await waitUntil(async () => (await delivered()) >= TOTAL / 5, 'a fifth sent before the kill', 30_000, 10);
    await a.kill();
    await expectEachSentOnce();
    // every shard's latest epoch was taken by the survivor
    await waitUntil(async () => {
      const { rows } = await db.pool.query(`SELECT shard, holder FROM shard_epochs ORDER BY shard`);
      return rows.length === SHARDS && rows.every((r) => r.holder === b.id);
    }, 'survivor holding every shard', 15_000).catch(async (err) => {
      console.error((await db.pool.query(`SELECT * FROM shard_epochs ORDER BY shard`)).rows);
      console.error(JSON.stringify(b.logs.filter((l) => String(l.msg).includes('shard')).slice(-30)));
      throw err;
    });
  }, 120_000);

  it('SIGTERM hands shards over cleanly: in-flight jobs finish, leases released, nothing lost', async () => {
    const [a, b] = workers as [WorkerProcess, WorkerProcess];
    await enqueueAll();
    await waitUntil(async () => (await delivered()) >= TOTAL / 5, 'a fifth sent before the stop', 30_000, 10);
    expect(await a.stop()).toBe(0);
    expect(a.logs.some((l) => l.msg === 'worker stopped')).toBe(true);
    // released, not left to expire: no lease still names the stopped worker
    const leases = await Promise.all(
      Array.from({ length: SHARDS }, (_, s) => dispatchRedis.client.get(`${dispatchRedis.prefix}:lease:{s${s}}`)),
    );
    expect(leases.filter((v) => v?.startsWith(`${a.id}:`))).toEqual([]);
    await expectEachSentOnce();
    expect(b.logs.filter((l) => l.msg === 'shard acquired').length).toBeGreaterThanOrEqual(SHARDS / 2);
  }, 120_000);

  it('FLUSHALL mid-run: the reconciler restores the queues from the outbox, nothing lost or doubled', async () => {
    await enqueueAll();
    await waitUntil(async () => (await delivered()) >= TOTAL / 5, 'a fifth sent before the flush', 30_000, 10);
    const epochsBefore = (await db.pool.query(`SELECT shard, epoch FROM shard_epochs ORDER BY shard`)).rows;
    await dispatchRedis.client.flushall();
    await expectEachSentOnce();
    const epochsAfter = (await db.pool.query(`SELECT shard, epoch FROM shard_epochs ORDER BY shard`)).rows;
    // fencing stayed monotonic although Redis forgot every counter
    for (const before of epochsBefore) {
      const after = epochsAfter.find((r) => r.shard === before.shard);
      expect(BigInt(after.epoch)).toBeGreaterThan(BigInt(before.epoch));
    }
  }, 120_000);
});
