/**
 * Per-tenant pacing and fairness (issue 4, "Benchmark (bench/ratelimit)").
 *
 * `--tenants` quiet tenants, each limited to `--rate` msg/s with `--burst`,
 * `--messages` each, all on ONE shard (SHARD_COUNT=1) in one in-process
 * worker (startWorker, simulator transport, PACING=on). Two runs of the same
 * script: a baseline with the quiet tenants alone, then the same with a noisy
 * tenant (same limits) whose `--noisy` messages are enqueued just BEFORE the
 * quiet ones, so without fairness they sit ahead of them in the waiting list.
 *
 * Prints per run:
 *   - achieved aggregate rate of the quiet tenants / ideal (ideal: every tenant
 *     sends its burst at t0, then one message per interval);
 *   - the highest per-tenant count in any 1 s sliding window / the rate
 *     (target <= 1 + burst/rate, i.e. rate + burst in a second);
 *   - job touches per sent message (PacingGate decisions per sent message: every
 *     touch of a job reaches the gate, which is last, once);
 *   - the quiet tenants' delay beyond their own pacing: send time of a tenant's
 *     k-th message minus t0 + max(0, k - burst + 1) * interval; p50/p99/max.
 * and the ratio p99(with noisy) / p99(baseline) (target <= 1.5).
 *
 * Limits come from the worker's `pacingLimitsFor` override: 5 msg/s is above
 * the API's 60/min bound (limitsFromStored would drop it), warm-up is off,
 * recipients are distinct and the first-contact budget is high, jitter 0.
 *
 * `--admission=false` enqueues without EnqueueAdmission (the state before the
 * fairness change), to compare.
 *
 *   npm run bench:ratelimit -- [--tenants=100] [--messages=100] [--noisy=10000] [--rate=5] [--burst=5] [--concurrency=50] [--admission=false] [--strict]
 */
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { limitsFromStored, parseConfig, sendQueueName, sessionIdFor, type SendJobData } from '@wa-dispatch/core';
import { createDb, type Db } from '@wa-dispatch/db';
import { EnqueueAdmission, SendProducer, type TenantPacingConfig } from '@wa-dispatch/queue';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import { SimulatorControl, SimulatorTransport, type SimulatedSend } from '@wa-dispatch/whatsapp';
import { WorkerEnv } from '../../apps/worker/src/env.js';
import { startWorker, type RunningWorker } from '../../apps/worker/src/worker-app.js';
import { simLink } from '../../test/support/sim-link.js';
import { insertTenant } from '../../test/support/tenant-fixtures.js';
import { waitUntil } from '../../test/support/wait-until.js';
import { parseOptions } from '../lib/options.js';
import { cpuPerItem, cpuSnapshot } from '../lib/probe.js';
import { fmt, machineLine, sleep } from '../lib/stats.js';
import { cleanUpInOrder, runBench } from '../lib/run-bench.js';

const opts = parseOptions([
  { name: 'tenants', default: 100, help: 'quiet tenants' },
  { name: 'messages', default: 100, help: 'messages per quiet tenant' },
  { name: 'noisy', default: 10000, help: 'messages of the noisy tenant in the second run (0: skip that run)' },
  { name: 'rate', default: 5, help: 'per-tenant limit, messages per second' },
  { name: 'burst', default: 5, help: 'per-tenant burst' },
  { name: 'concurrency', default: 50, help: 'BullMQ Worker concurrency' },
  { name: 'admission', default: true, help: 'spread each tenant\'s jobs at enqueue (EnqueueAdmission, as the API wires it with PACING=on); false = before the fairness change' },
  { name: 'timeout', default: 120, help: 'seconds a run may take before it is cut short (reported as FAIL)' },
  { name: 'strict', default: false, help: 'exit 1 when a target is missed' },
] as const);

const TENANTS = Math.max(1, Math.floor(opts.tenants));
const PER = Math.max(1, Math.floor(opts.messages));
const NOISY = Math.floor(opts.noisy);
const RATE = opts.rate;
const BURST = Math.max(1, Math.floor(opts.burst));
const INTERVAL_MS = Math.ceil(1000 / RATE);
const SHARDS = 1;
const TARGET = { aggregate: 0.95, window: 1 + BURST / RATE, touches: 2.1, fairness: 1.5 };

const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn', base: { bench: 'ratelimit' } }, pino.destination(2));

interface Tenant {
  chatId: bigint;
  sessionId: string;
  phone: string;
}
const mk = (i: number): Tenant => {
  const chatId = 700_000_000n + BigInt(i * 7919);
  return { chatId, sessionId: sessionIdFor(chatId), phone: `5511960${String(i).padStart(6, '0')}` };
};
const quiet: Tenant[] = Array.from({ length: TENANTS }, (_, i) => mk(i + 1));
const noisy: Tenant = mk(0);
const all = [noisy, ...quiet];

const LIMITS: TenantPacingConfig = {
  ...limitsFromStored({ warmup: false, recipientSpacingMs: 0, firstContactDailyBudget: 1000, jitterMs: 0, burst: BURST }),
  // above the API bound on purpose (see the opening comment)
  ratePerMinute: RATE * 60,
  timeZone: 'UTC',
  linkedAt: null,
};

let db: TestDatabase;
let prisma: Db;
let redis: TestRedis;
let control: SimulatorControl;
let producer: SendProducer;
const simPrefix = () => `${redis.prefix}-sim`;
let recipientSeq = 0;

function workerEnv(): WorkerEnv {
  return parseConfig(WorkerEnv, {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    SIMULATOR_PREFIX: simPrefix(),
    SHARD_COUNT: String(SHARDS),
    LEASE_TTL_MS: '10000',
    WORKER_CONCURRENCY: String(Math.max(1, Math.floor(opts.concurrency))),
    WORKER_ID: `bench-ratelimit-${process.pid}`,
    WHATSAPP_TRANSPORT: 'simulator',
    RECONCILE_INTERVAL_MS: String(3_600_000),
    PACING: 'on',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
}

/** Outbox rows as the API writes them, in bulk (untimed); distinct recipients. */
async function insertMessages(t: Tenant, n: number): Promise<SendJobData[]> {
  const jobs: SendJobData[] = [];
  for (let off = 0; off < n; off += 2000) {
    const ids: string[] = [];
    const tos: string[] = [];
    const texts: string[] = [];
    for (let i = off; i < Math.min(n, off + 2000); i++) {
      const seq = recipientSeq++;
      ids.push(randomUUID());
      tos.push(`55219${String(seq).padStart(8, '0')}`);
      texts.push(`Invoice #${seq} is due on 10/12. bench-ratelimit`);
    }
    await db.pool.query(
      `INSERT INTO messages (id, chat_id, session_id, to_phone, text)
       SELECT id, $1, $2, to_phone, text FROM unnest($3::uuid[], $4::text[], $5::text[]) AS u(id, to_phone, text)`,
      [t.chatId.toString(), t.sessionId, ids, tos, texts],
    );
    await db.pool.query(`INSERT INTO message_events (message_id, status) SELECT unnest($1::uuid[]), 'queued'`, [ids]);
    for (const id of ids) jobs.push({ messageId: id, chatId: t.chatId.toString(), sessionId: t.sessionId });
  }
  return jobs;
}

async function waitConnected(worker: RunningWorker): Promise<void> {
  await waitUntil(
    async () => {
      if (!all.every((t) => worker.sessions.get(t.sessionId)?.isOpen())) return false;
      const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM whatsapp_sessions WHERE status = 'connected'`);
      return rows[0].n === all.length;
    },
    'every tenant session connected',
    60_000,
    50,
  );
}

/** Forgets pacing state between runs (GCRA TATs, tickets, first-contact counters). */
async function clearPacing(): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.client.scan(cursor, 'MATCH', `${redis.prefix}:pace:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.client.del(...keys);
  } while (cursor !== '0');
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface RunResult {
  label: string;
  quietSent: number;
  complete: boolean;
  aggregateRatio: number;
  achievedRate: number;
  idealRate: number;
  maxWindow: number;
  maxWindowTenant: string;
  touchesPerSent: number;
  quietTouchesPerSent: number;
  delay: { p50: number; p99: number; max: number; firstP99: number };
  noisySent: number;
  cpu: string;
}

async function run(label: string, noisyCount: number): Promise<RunResult> {
  await clearPacing();
  const transport = new SimulatorTransport({ redis: redis.url, prefix: simPrefix(), ackDelayMs: 3_600_000 });
  const touches = new Map<bigint, number>();
  const worker = await startWorker(workerEnv(), {
    logger,
    transport,
    pacingLimitsFor: async (chatId) => {
      touches.set(chatId, (touches.get(chatId) ?? 0) + 1);
      return LIMITS;
    },
  });
  const queue = new Queue(sendQueueName(0), { connection: redis.client, prefix: producer.keys.bullPrefix });
  try {
    await waitConnected(worker);
    // untimed warm-up: a session's first send is slower; then forget its pacing state
    const warm = (await Promise.all(all.map((t) => insertMessages(t, 1)))).flat();
    await producer.enqueueMany(warm);
    await waitUntil(
      async () => {
        const { rows } = await db.pool.query(
          `SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND status IN ('sent','delivered','read')`,
          [warm.map((j) => j.messageId)],
        );
        return rows[0].n === warm.length;
      },
      'warm-up sends',
      60_000,
      100,
    );
    await clearPacing();
    touches.clear();
    worker.metrics.outcomes.reset();
    const noisyJobs = noisyCount > 0 ? await insertMessages(noisy, noisyCount) : [];
    // quiet jobs interleaved: every tenant's k-th message before anyone's (k+1)-th
    const perTenant = await Promise.all(quiet.map((t) => insertMessages(t, PER)));
    const quietJobs: SendJobData[] = [];
    for (let k = 0; k < PER; k++) for (const jobs of perTenant) quietJobs.push(jobs[k]!);
    const quietIds = quietJobs.map((j) => j.messageId);
    const sentBefore = await control.sentCount();
    await sleep(1_500); // idle: let every burst refill and the Worker settle

    const cpu0 = await cpuSnapshot(redis.client, db.pool);
    if (noisyJobs.length > 0) await producer.enqueueMany(noisyJobs);
    const t0 = Date.now();
    await producer.enqueueMany(quietJobs);
    const deadline = t0 + opts.timeout * 1000;
    let quietSent = 0;
    while (Date.now() < deadline) {
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM messages WHERE id = ANY($1::uuid[]) AND status IN ('sent','delivered','read')`,
        [quietIds],
      );
      quietSent = rows[0].n;
      if (quietSent === quietJobs.length) break;
      await sleep(250);
    }
    const cpu1 = await cpuSnapshot(redis.client, db.pool);
    const touchSnapshot = new Map(touches);
    const records = (await control.sent()).slice(sentBefore);
    const outcomeTotal = (await worker.metrics.outcomes.get()).values.reduce((s, v) => s + v.value, 0);

    const bySession = new Map<string, SimulatedSend[]>();
    for (const r of records) {
      const list = bySession.get(r.sessionId);
      if (list) list.push(r);
      else bySession.set(r.sessionId, [r]);
    }
    let maxWindow = 0;
    let maxWindowTenant = '';
    for (const [sessionId, list] of bySession) {
      const at = list.map((r) => r.at).sort((a, b) => a - b);
      for (let i = 0, j = 0; j < at.length; j++) {
        while (at[j]! - at[i]! >= 1000) i++;
        if (j - i + 1 > maxWindow) {
          maxWindow = j - i + 1;
          maxWindowTenant = sessionId;
        }
      }
    }
    const delays: number[] = [];
    const firstDelays: number[] = [];
    let lastQuiet = t0;
    for (const t of quiet) {
      const at = (bySession.get(t.sessionId) ?? []).map((r) => r.at).sort((a, b) => a - b);
      at.forEach((x, k) => {
        const d = x - (t0 + Math.max(0, k - BURST + 1) * INTERVAL_MS);
        delays.push(d);
        if (k === 0) firstDelays.push(d);
        lastQuiet = Math.max(lastQuiet, x);
      });
    }
    delays.sort((a, b) => a - b);
    firstDelays.sort((a, b) => a - b);
    const quietTouches = quiet.reduce((s, t) => s + (touchSnapshot.get(t.chatId) ?? 0), 0);
    const idealMs = Math.max(1, (PER - BURST) * INTERVAL_MS);
    const quietRecords = records.filter((r) => r.sessionId !== noisy.sessionId).length;
    const actualMs = Math.max(1, lastQuiet - t0);
    const c = cpuPerItem(cpu0, cpu1, Math.max(1, records.length));
    return {
      label,
      quietSent,
      complete: quietSent === quietJobs.length && quietRecords === quietJobs.length,
      aggregateRatio: quietSent === quietJobs.length ? idealMs / actualMs : 0,
      achievedRate: quietRecords / (actualMs / 1000),
      idealRate: quietJobs.length / (idealMs / 1000),
      maxWindow,
      maxWindowTenant,
      touchesPerSent: outcomeTotal / Math.max(1, records.length),
      quietTouchesPerSent: quietTouches / Math.max(1, quietRecords),
      delay: { p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.at(-1) ?? Number.NaN, firstP99: percentile(firstDelays, 99) },
      noisySent: records.length - quietRecords,
      cpu: `node ${fmt(c.node)} µs, postgres ${fmt(c.postgres)} µs, redis ${fmt(c.redis)} µs per send (${c.coresBusy.toFixed(2)} cores busy)`,
    };
  } finally {
    await worker.stop();
    // the noisy backlog (and anything unfinished) goes, so the next run starts empty
    await queue.obliterate({ force: true }).catch((err) => logger.warn({ err }, 'obliterate failed'));
    await queue.close();
  }
}

function report(r: RunResult): boolean[] {
  const ok = (b: boolean) => (b ? 'PASS' : 'FAIL');
  const agg = r.aggregateRatio >= TARGET.aggregate;
  const win = r.maxWindow / RATE <= TARGET.window;
  const touch = r.quietTouchesPerSent <= TARGET.touches;
  console.log(`\n  [${r.label}]${r.complete ? '' : `  INCOMPLETE: ${r.quietSent} quiet messages sent before the timeout`}`);
  console.log(`    aggregate rate (quiet)      ${fmt(r.achievedRate).padStart(6)} msg/s of ideal ${fmt(r.idealRate)} = ${r.aggregateRatio.toFixed(3)}   target >= ${TARGET.aggregate}  ${ok(agg)}`);
  console.log(`    max 1 s window / limit      ${r.maxWindow}/${RATE} = ${(r.maxWindow / RATE).toFixed(2)}   target <= ${TARGET.window.toFixed(2)} (rate + burst)  ${ok(win)}  (${r.maxWindowTenant})`);
  console.log(`    touches per sent (quiet)    ${r.quietTouchesPerSent.toFixed(2)}   target <= ${TARGET.touches}  ${ok(touch)}   (all jobs incl. unsent backlog: ${r.touchesPerSent.toFixed(2)})`);
  console.log(`    quiet delay beyond pacing   p50 ${fmt(r.delay.p50)} ms, p99 ${fmt(r.delay.p99)} ms, max ${fmt(r.delay.max)} ms; first message p99 ${fmt(r.delay.firstP99)} ms`);
  if (r.noisySent > 0) console.log(`    noisy tenant sent           ${r.noisySent} in the run`);
  console.log(`    cpu                         ${r.cpu}`);
  return [agg && r.complete, win, touch];
}

async function setup(): Promise<void> {
  db = await createTestDatabase('bench_ratelimit');
  prisma = createDb({ url: db.url, max: 2 });
  redis = await createTestRedis('bench-ratelimit');
  control = new SimulatorControl({ redis: redis.url, prefix: simPrefix() });
  producer = new SendProducer({
    connection: redis.client,
    prefix: redis.prefix,
    shardCount: SHARDS,
    ...(opts.admission ? { admission: new EnqueueAdmission({ redis: redis.client, prefix: redis.prefix, limitsFor: async () => LIMITS }) } : {}),
  });
  for (const t of all) await insertTenant(db.pool, t.chatId, SHARDS);
  for (const t of all) await simLink({ control, db: prisma, redis: redis.client, prefix: redis.prefix }, t.chatId, t.phone);
}

function teardown(): Promise<void> {
  return cleanUpInOrder(
    () => producer?.close(),
    () => control?.reset(),
    () => control?.close(),
    () => redis?.close(),
    () => prisma?.$disconnect(),
    () => db?.drop(),
  );
}

async function main(): Promise<number> {
  const started = Date.now();
  console.log(
    `bench:ratelimit  ${TENANTS} quiet tenants × ${PER} msgs at ${RATE}/s burst ${BURST}` +
      `${NOISY > 0 ? ` + a noisy tenant with ${NOISY}` : ''}; SHARD_COUNT=${SHARDS}, one worker, concurrency ${opts.concurrency}, simulator, admission ${opts.admission ? 'on' : 'off'}`,
  );
  console.log(`  machine: ${machineLine()}`);
  await setup();
  const base = await run('baseline: quiet tenants alone', 0);
  const results = report(base);
  if (NOISY > 0) {
    const withNoisy = await run(`with the noisy tenant (${NOISY} queued first)`, NOISY);
    results.push(...report(withNoisy));
    const ratio = withNoisy.delay.p99 / Math.max(1, base.delay.p99);
    const fair = ratio <= TARGET.fairness && withNoisy.complete;
    results.push(fair);
    console.log(
      `\n  fairness: quiet p99 delay with noisy / without = ${fmt(withNoisy.delay.p99)} / ${fmt(base.delay.p99)} ms = ${ratio.toFixed(2)}   target <= ${TARGET.fairness}  ${fair ? 'PASS' : 'FAIL'}`,
    );
  }
  console.log(`  machine after: ${machineLine()}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return opts.strict && results.some((r) => !r) ? 1 : 0;
}

await runBench(main, teardown);
