import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendJobData } from '@wa-dispatch/core';
import { PacingRepository } from '@wa-dispatch/db';
import { EnqueueAdmission, SendProducer } from '@wa-dispatch/queue';
import type { TestDatabase } from '@wa-dispatch/testing';
import type { SimulatorControl } from '@wa-dispatch/whatsapp';
import { admissionLimitsSource } from '../apps/api/src/services/admission-limits.js';
import { startStack, type E2eStack } from './support/e2e-stack.js';
import { insertQueuedMessage, insertTenant } from './support/tenant-fixtures.js';
import { waitUntil } from './support/wait-until.js';

// Fairness (issue 4): a noisy tenant's backlog must not delay a quiet tenant on
// the same shard. With admission at enqueue (as the API wires it, PACING=on)
// the noisy backlog waits in the delayed set, spread by its own rate, so the
// quiet tenant's jobs are not queued behind it: when the quiet burst has gone
// out, the worker has touched only the few noisy jobs whose slot came.
const NOISY_N = 300;
const QUIET_N = 5;
const NOISY = 820_000_001n;
const QUIET = 820_000_002n;

let stack: E2eStack;
let db: TestDatabase;
let control: SimulatorControl;
let producer: SendProducer;

beforeAll(async () => {
  stack = await startStack({
    name: 'fairness',
    shards: 1,
    prismaMax: 3,
    workerEnv: { WORKER_CONCURRENCY: '8', RECONCILE_INTERVAL_MS: '60000' },
  });
  ({ db, control } = stack);
  const { redis } = stack;
  const pacing = new PacingRepository(stack.prisma);
  producer = new SendProducer({
    connection: redis.client,
    prefix: redis.prefix,
    shardCount: 1,
    admission: new EnqueueAdmission({ redis: redis.client, prefix: redis.prefix, limitsFor: admissionLimitsSource(pacing) }),
  });
  stack.onStop(() => producer.close());
  for (const chatId of [NOISY, QUIET]) {
    await insertTenant(db.pool, chatId, 1);
    await pacing.updateLimits(chatId, { ratePerMinute: 60, burst: 5, warmup: false, recipientSpacingMs: 0, firstContactDailyBudget: 1000, jitterMs: 0 });
  }
  await stack.spawnWorker('fair-a');
  await stack.linkAll([
    { chatId: NOISY, phone: '5511970000001' },
    { chatId: QUIET, phone: '5511970000002' },
  ]);
  // one shard here: every shard acquired is the worker holding it
  await stack.waitForEveryShard(30_000);
}, 90_000);

afterAll(() => stack?.stop());

async function insert(chatId: bigint, n: number, base: number): Promise<SendJobData[]> {
  const jobs: SendJobData[] = [];
  for (let i = 0; i < n; i++) jobs.push(await insertQueuedMessage(db.pool, chatId, `55219${String(base + i).padStart(8, '0')}`, `fair ${chatId}#${i}`));
  return jobs;
}

describe('fairness on one shard (worker process, admission at enqueue)', () => {
  it("a quiet tenant's burst is not queued behind a noisy tenant's backlog", async () => {
    const noisy = await insert(NOISY, NOISY_N, 0);
    const quiet = await insert(QUIET, QUIET_N, 100_000);
    await producer.enqueueMany(noisy); // the backlog first, as the worst case
    const t0 = Date.now();
    await producer.enqueueMany(quiet);
    const ids = quiet.map((j) => j.messageId);
    await waitUntil(
      async () => {
        const { rows } = await db.pool.query(
          `SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND status IN ('sent','delivered','read')`,
          [ids],
        );
        return rows[0].n === QUIET_N;
      },
      'the quiet burst sent',
      15_000,
      20,
    );
    const quietDoneMs = Date.now() - t0;
    const queue = producer.queueFor(0);
    const jobs = await Promise.all(noisy.map((j) => queue.getJob(j.messageId)));
    const touched = jobs.filter((j) => j && j.attemptsStarted > 0).length;
    // the noisy burst (5) plus one job a second whose slot came; without admission all 300
    // would have been touched (checked and parked) before the quiet tenant's first job
    expect(touched, `noisy jobs touched before the quiet burst finished (${quietDoneMs} ms)`).toBeLessThanOrEqual(5 + Math.ceil(quietDoneMs / 1000) + 2);
    expect(await queue.getDelayedCount()).toBeGreaterThanOrEqual(NOISY_N - 5 - Math.ceil(quietDoneMs / 1000) - 2);
    const quietSends = await control.sent({ ownerChatId: QUIET });
    expect(quietSends).toHaveLength(QUIET_N);
    // and the noisy tenant keeps its own limit: 60/min burst 5
    const noisySent = await control.sentCount({ ownerChatId: NOISY });
    expect(noisySent).toBeLessThanOrEqual(5 + Math.ceil((Date.now() - t0) / 1000) + 1);
  }, 30_000);
});
