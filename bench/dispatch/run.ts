/**
 * Dispatch throughput: messages/s through the whole worker path (BullMQ job ->
 * outbox row lookup -> ownership/shard/socket checks -> claim -> simulator
 * send -> `sent`), against raw BullMQ no-op throughput at the same concurrency
 * on the same Redis, measured alternately in the same run. Prints medians and
 * their ratio; PASS/FAIL against the target never changes the exit code
 * unless --strict.
 *
 *   npm run bench:dispatch -- [--messages=5000] [--tenants=50] [--concurrency=10] [--rounds=3] [--profile]
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import { parseConfig, sessionIdFor, type SendJobData } from '@wa-dispatch/core';
import { createDb, type Db } from '@wa-dispatch/db';
import { createQueueConnection, SendProducer, sendJobOptions } from '@wa-dispatch/queue';
import { createTestDatabase, createTestRedis, repoRoot, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import { SimulatorControl, SimulatorTransport } from '@wa-dispatch/whatsapp';
import { WorkerEnv } from '../../apps/worker/src/env.js';
import { startWorker, type RunningWorker } from '../../apps/worker/src/worker-app.js';
import { simLink } from '../../test/support/sim-link.js';
import { insertQueuedMessage, insertTenant } from '../../test/support/tenant-fixtures.js';
import { waitUntil } from '../../test/support/wait-until.js';
import { parseOptions } from '../lib/options.js';
import {
  cpuPerItem,
  cpuSnapshot,
  describeCounts,
  installCounters,
  saveProfile,
  startCpuProfile,
  startCounting,
  summarizeProfile,
  stopCounting,
  type CallCounts,
  type CpuPerItem,
  type Profile,
} from '../lib/probe.js';
import { fmt, forEachBounded, median, sleep, machineLine } from '../lib/stats.js';
import { cleanUpInOrder, runBench } from '../lib/run-bench.js';

const opts = parseOptions([
  { name: 'messages', default: 5000, help: 'jobs per measured round' },
  { name: 'tenants', default: 50, help: 'tenants (each with its own linked session) the messages are spread over' },
  { name: 'concurrency', default: 10, help: 'BullMQ Worker concurrency, for both measurements' },
  { name: 'rounds', default: 3, help: 'measured rounds of each kind (alternating); medians are reported' },
  { name: 'warmup', default: 500, help: 'jobs in one unreported warm-up round of each kind' },
  { name: 'target', default: 0.5, help: 'ratio dispatch/raw to PASS' },
  { name: 'receipts', default: false, help: 'let the simulator emit delivered receipts (50 ms) during the run' },
  { name: 'profile', default: false, help: 'one extra, unreported round of each kind counting PG/Redis calls per job' },
  { name: 'strict', default: false, help: 'exit 1 when the ratio is below the target' },
] as const);

const N = Math.floor(opts.messages);
const TENANTS = Math.max(1, Math.floor(opts.tenants));
const CONCURRENCY = Math.max(1, Math.floor(opts.concurrency));
const SHARDS = 1; // one BullMQ Worker holds everything: like with like against one raw Worker
const LEASE_TTL_MS = 10_000;
const LOCK_MS = Math.max(2_000, LEASE_TTL_MS); // what worker-app.ts gives its shard Workers

interface Tenant {
  chatId: bigint;
  sessionId: string;
  phone: string;
}

interface RoundResult {
  rate: number;
  ms: number;
  cpu: CpuPerItem;
  counts?: CallCounts;
  profile?: Profile;
}

/** Profile mode: count PG/Redis calls, or sample CPU, in the timed window only. */
type Probe = 'none' | 'counts' | 'cpu';

const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn', base: { bench: 'dispatch' } }, pino.destination(2));

let db: TestDatabase;
let prisma: Db;
let redis: TestRedis;
let control: SimulatorControl;
let producer: SendProducer;
const simPrefix = () => `${redis.prefix}-sim`;
let textSeq = 0;

const tenants: Tenant[] = Array.from({ length: TENANTS }, (_, i) => {
  // users and (negative) groups, as Telegram hands them out
  const chatId = i % 5 === 4 ? -(1_000_000_000_000n + BigInt(i)) : 500_000_000n + BigInt(i * 7919);
  return { chatId, sessionId: sessionIdFor(chatId), phone: `5511970${String(i).padStart(6, '0')}` };
});

function workerEnv(): WorkerEnv {
  return parseConfig(WorkerEnv, {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    SIMULATOR_PREFIX: simPrefix(),
    SHARD_COUNT: String(SHARDS),
    LEASE_TTL_MS: String(LEASE_TTL_MS),
    WORKER_CONCURRENCY: String(CONCURRENCY),
    WORKER_ID: `bench-${process.pid}`,
    WHATSAPP_TRANSPORT: 'simulator',
    // The reconciler is a background safety net, not the send path: keep its
    // periodic pass out of the timed window (every row here is enqueued at once).
    RECONCILE_INTERVAL_MS: String(3_600_000),
    // Pacing caps a tenant at <= 60 msg/min by design (WhatsApp safety), which
    // would make this a benchmark of the limits. Off here, as WorkerEnv
    // documents for benchmarks; the kill switch, tenant pause and restriction
    // breaker gates still run on every job.
    PACING: 'off',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
}

/** Waits until every tenant's session is open in this worker and its row says `connected`. */
async function waitConnected(worker: RunningWorker): Promise<void> {
  await waitUntil(
    async () => {
      if (!tenants.every((t) => worker.sessions.get(t.sessionId)?.isOpen())) return false;
      const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM whatsapp_sessions WHERE status = 'connected'`);
      return rows[0].n === TENANTS;
    },
    'every tenant session connected',
    60_000,
    20,
  );
}

/** Outbox rows exactly as the API writes them (untimed). */
async function insertMessages(n: number): Promise<SendJobData[]> {
  const jobs: SendJobData[] = new Array(n);
  await forEachBounded(
    Array.from({ length: n }, (_, i) => i),
    4,
    async (i) => {
      const t = tenants[i % TENANTS]!;
      const seq = textSeq++;
      const to = `5521980${String(seq % 1_000_000).padStart(6, '0')}`;
      jobs[i] = await insertQueuedMessage(db.pool, t.chatId, to, `Hi! Your invoice #${seq} of R$ 49,90 is due on 10/12. Pay with Pix: bench-${seq}`);
    },
  );
  return jobs;
}

/**
 * Calls `hook` on every outcome the worker counts. The processor increments
 * this counter after the dispatcher returned, i.e. after `sent` committed.
 */
function onOutcome(worker: RunningWorker, hook: (kind: string, code: string) => void): void {
  const counter = worker.metrics.outcomes as unknown as { inc: (labels: Record<string, string>, v?: number) => void };
  const orig = counter.inc.bind(counter);
  counter.inc = (labels, v) => {
    orig(labels, v);
    hook(labels.kind ?? '', labels.code ?? '');
  };
}

async function dispatchRound(n: number, probe: Probe = 'none'): Promise<RoundResult> {
  const transport = new SimulatorTransport({
    redis: redis.url,
    prefix: simPrefix(),
    ...(opts.receipts ? {} : { ackDelayMs: 3_600_000 }),
  });
  const worker = await startWorker(workerEnv(), { logger, transport });
  try {
    await waitConnected(worker);
    const jobs = await insertMessages(n);
    const sentBefore = await control.sentCount();

    let sent = 0;
    const other = new Map<string, number>();
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    onOutcome(worker, (kind, code) => {
      if (kind === 'sent') {
        if (++sent === n) resolveDone();
      } else other.set(`${kind}:${code}`, (other.get(`${kind}:${code}`) ?? 0) + 1);
    });
    await sleep(200); // let the idle Worker settle into its blocking fetch

    const counts = probe === 'counts' ? startCounting() : undefined;
    const stopCpu = probe === 'cpu' ? await startCpuProfile() : undefined;
    const cpu0 = await cpuSnapshot(redis.client, db.pool);
    const t0 = performance.now();
    await producer.enqueueMany(jobs);
    await withTimeout(done, Math.max(60_000, n * 20), () => `dispatch: ${sent}/${n} sent; other outcomes ${JSON.stringify([...other])}`);
    const ms = performance.now() - t0;
    const cpu1 = await cpuSnapshot(redis.client, db.pool);
    stopCounting();
    const profile = await stopCpu?.();

    // untimed: every row of this round is sent exactly once, through its own session
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM messages
       WHERE id = ANY($1::uuid[]) AND status IN ('sent','delivered','read') AND wa_message_id IS NOT NULL AND attempts = 1`,
      [jobs.map((j) => j.messageId)],
    );
    if (rows[0].n !== n) throw new Error(`dispatch: only ${rows[0].n}/${n} rows are sent`);
    const records = (await control.sent()).slice(sentBefore);
    if (records.length !== n) throw new Error(`dispatch: simulator recorded ${records.length}/${n} sends`);
    const owner = new Map(tenants.map((t) => [t.sessionId, t]));
    for (const r of records) {
      const t = owner.get(r.sessionId);
      if (!t || r.ownerChatId !== t.chatId.toString() || r.fromNumber !== t.phone) {
        throw new Error(`dispatch: send ${r.clientMessageId} left through the wrong session/number`);
      }
    }
    if (other.size > 0) logger.warn({ other: Object.fromEntries(other) }, 'non-sent outcomes during the round');
    return { rate: n / (ms / 1000), ms, cpu: cpuPerItem(cpu0, cpu1, n), ...(counts ? { counts } : {}), ...(profile ? { profile } : {}) };
  } finally {
    stopCounting();
    await worker.stop();
  }
}

// Raw BullMQ: one queue for all rounds (completed jobs accumulate under the
// same removeOnComplete policy as the send queue), the send queue's job
// options, the shard Worker's options, a no-op processor.
const RAW_QUEUE = 'bench-raw.{r0}';

async function rawRound(n: number, probe: Probe = 'none'): Promise<RoundResult> {
  const queue = new Queue(RAW_QUEUE, { connection: redis.client, prefix: redis.prefix, defaultJobOptions: sendJobOptions() });
  let processed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const worker = new Worker(
    RAW_QUEUE,
    async () => {
      if (++processed === n) resolveDone();
    },
    {
      connection: createQueueConnection({ url: redis.url, role: 'worker' }),
      prefix: redis.prefix,
      concurrency: CONCURRENCY,
      lockDuration: LOCK_MS,
      stalledInterval: LOCK_MS,
      maxStalledCount: 10,
      autorun: true,
    },
  );
  worker.on('error', (err) => logger.error({ err }, 'raw worker error'));
  try {
    await worker.waitUntilReady();
    // same data shape as a send job: ids only
    const jobs = Array.from({ length: n }, (_, i) => {
      const t = tenants[i % TENANTS]!;
      const data: SendJobData = { messageId: randomUUID(), chatId: t.chatId.toString(), sessionId: t.sessionId };
      return { name: 'send', data, opts: { jobId: data.messageId } };
    });
    await sleep(200);

    const counts = probe === 'counts' ? startCounting() : undefined;
    const stopCpu = probe === 'cpu' ? await startCpuProfile() : undefined;
    const cpu0 = await cpuSnapshot(redis.client, db.pool);
    const t0 = performance.now();
    await queue.addBulk(jobs);
    await withTimeout(done, Math.max(60_000, n * 20), () => `raw: ${processed}/${n} processed`);
    const ms = performance.now() - t0;
    const cpu1 = await cpuSnapshot(redis.client, db.pool);
    stopCounting();
    const profile = await stopCpu?.();
    return { rate: n / (ms / 1000), ms, cpu: cpuPerItem(cpu0, cpu1, n), ...(counts ? { counts } : {}), ...(profile ? { profile } : {}) };
  } finally {
    stopCounting();
    await worker.close();
    await worker.disconnect().catch(() => undefined);
    await queue.close();
  }
}

async function withTimeout(p: Promise<void>, ms: number, what: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function cpuLine(label: string, c: CpuPerItem): string {
  return `  ${label.padEnd(9)} CPU per job: node ${fmt(c.node).padStart(5)} µs, postgres ${fmt(c.postgres).padStart(5)} µs, redis ${fmt(c.redis).padStart(4)} µs  (${c.coresBusy.toFixed(2)} cores busy)`;
}

async function setup(): Promise<void> {
  db = await createTestDatabase('bench_dispatch');
  prisma = createDb({ url: db.url, max: 2 });
  redis = await createTestRedis('bench-dispatch');
  control = new SimulatorControl({ redis: redis.url, prefix: simPrefix() });
  producer = new SendProducer({ connection: redis.client, prefix: redis.prefix, shardCount: SHARDS });
  for (const t of tenants) await insertTenant(db.pool, t.chatId, SHARDS);
  // simulated QR scans before any worker runs: the worker restores them at start
  for (const t of tenants) await simLink({ control, db: prisma, redis: redis.client, prefix: redis.prefix }, t.chatId, t.phone);
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
  console.log(
    `bench:dispatch  ${N} jobs/round, ${TENANTS} tenants, concurrency ${CONCURRENCY}, SHARD_COUNT=${SHARDS}, ` +
      `${opts.rounds} rounds (+1 warm-up of ${opts.warmup}), receipts ${opts.receipts ? 'on' : 'off'}, PACING=off`,
  );
  console.log(`  machine: ${machineLine()}`);
  await setup();
  if (opts.warmup > 0) {
    await dispatchRound(Math.floor(opts.warmup));
    await rawRound(Math.floor(opts.warmup));
  }
  const dispatch: RoundResult[] = [];
  const raw: RoundResult[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    // alternate which goes first, so drift on the machine hits both alike
    const order = r % 2 === 0 ? (['dispatch', 'raw'] as const) : (['raw', 'dispatch'] as const);
    for (const kind of order) {
      const res = kind === 'dispatch' ? await dispatchRound(N) : await rawRound(N);
      (kind === 'dispatch' ? dispatch : raw).push(res);
      console.log(`  round ${r + 1} ${kind.padEnd(8)} ${fmt(res.rate).padStart(7)} jobs/s  (${fmt(res.ms)} ms)`);
    }
  }
  const d = median(dispatch.map((x) => x.rate));
  const b = median(raw.map((x) => x.rate));
  const ratio = d / b;
  const pass = ratio >= opts.target;
  const medCpu = (rs: RoundResult[]): CpuPerItem => ({
    node: median(rs.map((x) => x.cpu.node)),
    postgres: median(rs.map((x) => x.cpu.postgres)),
    redis: median(rs.map((x) => x.cpu.redis)),
    coresBusy: median(rs.map((x) => x.cpu.coresBusy)),
  });
  console.log(`\n  machine after: ${machineLine()}`);
  console.log(`  dispatch (whole worker path)  ${fmt(d).padStart(7)} msg/s   (median of ${dispatch.length})`);
  console.log(`  raw BullMQ no-op              ${fmt(b).padStart(7)} jobs/s  (median of ${raw.length})`);
  console.log(`  ratio dispatch/raw            ${ratio.toFixed(3)}   target >= ${opts.target}  ${pass ? 'PASS' : 'FAIL'}`);
  console.log(`  per-round ratios              ${dispatch.map((x, i) => (x.rate / raw[i]!.rate).toFixed(3)).join(', ')}`);
  console.log(cpuLine('dispatch', medCpu(dispatch)));
  console.log(cpuLine('raw', medCpu(raw)));
  console.log(`  per-job wall time at concurrency ${CONCURRENCY}: dispatch ${((CONCURRENCY * 1000) / d).toFixed(2)} ms, raw ${((CONCURRENCY * 1000) / b).toFixed(2)} ms`);

  if (opts.profile) {
    installCounters(repoRoot);
    const pn = Math.min(N, 2000);
    const pd = await dispatchRound(pn, 'counts');
    const pr = await rawRound(pn, 'counts');
    console.log(`\n  profile (${pn} jobs each, instrumented, rates not comparable: dispatch ${fmt(pd.rate)}/s, raw ${fmt(pr.rate)}/s)`);
    console.log('  dispatch: Postgres queries per job (count, avg latency from send to reply):');
    for (const l of describeCounts(pd.counts!.pg, pn)) console.log(l);
    console.log('  dispatch: Redis commands per job:');
    for (const l of describeCounts(pd.counts!.redis, pn)) console.log(l);
    console.log('  raw: Redis commands per job:');
    for (const l of describeCounts(pr.counts!.redis, pn)) console.log(l);
    // CPU sampling of the main thread over the timed window (no call counters)
    const cd = await dispatchRound(pn, 'cpu');
    const cr = await rawRound(pn, 'cpu');
    const dir = join(repoRoot, 'bench/results');
    for (const [label, r] of [['dispatch', cd], ['raw', cr]] as const) {
      const file = saveProfile(dir, `dispatch-bench-${label}`, r.profile!);
      const { lines } = summarizeProfile(r.profile!);
      console.log(`  ${label}: main-thread self time by package, timed window (${fmt(r.rate)}/s; ${file.replace(`${repoRoot}/`, '')})`);
      for (const l of lines) console.log(l);
    }
  } else if (!pass) {
    console.log('  (below target: run with --profile to count Postgres/Redis calls per job)');
  }
  return !pass && opts.strict ? 1 : 0;
}

await runBench(main, teardown);
