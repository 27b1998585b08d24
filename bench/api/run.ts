/**
 * API throughput: accepted requests/s and p99 latency of the real
 * `POST /v1/tenants/{chatId}/messages` (createApp with real Postgres and
 * Redis: auth lookup, tenant lookup, idempotency lookup, outbox insert,
 * enqueue) against a bare express endpoint (express.json() + 202 {ok:true}),
 * same connections, duration and body, in the same run. autocannon runs in
 * its own worker thread so the load generator does not share the servers'
 * event loop. Only loopback; bounded duration.
 *
 *   npm run bench:api -- [--connections=10] [--duration=5] [--warmup=1] [--rounds=1] [--profile]
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import autocannon from 'autocannon';
import express from 'express';
import { pino } from 'pino';
import { parseConfig, shardOf } from '@wa-dispatch/core';
import { createDb, type Db } from '@wa-dispatch/db';
import { createQueueConnection, DispatchSwitches, SendProducer, TenantRestriction } from '@wa-dispatch/queue';
import { createTestDatabase, createTestRedis, repoRoot, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import type { Redis } from 'ioredis';
import { generateApiKey } from '../../apps/api/src/auth/api-key-codec.js';
import { createApp } from '../../apps/api/src/create-app.js';
import { ApiEnv } from '../../apps/api/src/env.js';
import { parseOptions } from '../lib/options.js';
import {
  cpuPerItem,
  cpuSnapshot,
  describeCounts,
  installCounters,
  saveProfile,
  startCounting,
  startCpuProfile,
  stopCounting,
  summarizeProfile,
  type CpuPerItem,
} from '../lib/probe.js';
import { fmt, machineLine, median, sleep } from '../lib/stats.js';
import { cleanUpInOrder, runBench } from '../lib/run-bench.js';

const opts = parseOptions([
  { name: 'connections', default: 10, help: 'concurrent HTTP connections (both targets)' },
  { name: 'duration', default: 5, help: 'seconds per measured run (max 60)' },
  { name: 'warmup', default: 1, help: 'seconds of unreported warm-up per target' },
  { name: 'rounds', default: 1, help: 'measured runs per target (alternating); medians are reported' },
  { name: 'tenants', default: 10, help: 'tenants the requests rotate over (service key)' },
  { name: 'idempotency', default: true, help: 'send a unique Idempotency-Key per request' },
  { name: 'profile', default: false, help: 'one extra, unreported app run counting PG/Redis calls per request' },
] as const);

const CONNECTIONS = Math.max(1, Math.floor(opts.connections));
const DURATION = Math.min(60, Math.max(1, opts.duration));
const TENANTS = Math.max(1, Math.floor(opts.tenants));
const SHARDS = 16; // ApiEnv's default
const SETUP_REQUEST = join(repoRoot, 'bench/api/setup-request.cjs');
const BODY = JSON.stringify({ to: '+55 11 98765-4321', text: 'Hi! Your invoice #4711 of R$ 49,90 is due on 10/12. Pay with Pix: bench' });

interface RunResult {
  reqPerSec: number;
  accepted: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  cpu: CpuPerItem;
}

let tdb: TestDatabase;
let redis: TestRedis;
let db: Db;
let producerRedis: Redis;
let producer: SendProducer;
const servers: Server[] = [];
let warnLines = 0;
const chatIds = Array.from({ length: TENANTS }, (_, i) => 800_000_000n + BigInt(i * 104_729));

function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (err?: Error) => {
      if (err) return reject(err);
      servers.push(server);
      server.keepAliveTimeout = 65_000; // as start-api.ts
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    });
  });
}

async function setup(): Promise<{ appUrl: string; bareUrl: string; key: string }> {
  tdb = await createTestDatabase('bench_api');
  redis = await createTestRedis('bench-api');
  for (const chatId of chatIds) {
    await tdb.pool.query(`INSERT INTO tenants (chat_id, name) VALUES ($1, $2)`, [chatId.toString(), `tenant ${chatId}`]);
    await tdb.pool.query(
      `INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard, status, numero_whatsapp) VALUES ($1, $2, $3, 'connected', $4)`,
      [`user_${chatId}`, chatId.toString(), shardOf(chatId, SHARDS), `55119${String(chatId).slice(-8)}`],
    );
  }
  const k = generateApiKey('service');
  await tdb.pool.query(`INSERT INTO api_keys (id, hash, prefix, scope) VALUES (gen_random_uuid(), $1, $2, 'service')`, [k.hash, k.prefix]);

  // wired like start-api.ts: default pool size, a producer-role connection
  const config = parseConfig(ApiEnv, {
    DATABASE_URL: tdb.url,
    REDIS_URL: redis.url,
    REDIS_PREFIX: redis.prefix,
    SHARD_COUNT: String(SHARDS),
    LOG_LEVEL: 'info',
  });
  db = createDb({ url: config.DATABASE_URL });
  producerRedis = createQueueConnection({ url: config.REDIS_URL, role: 'producer', connectionName: 'bench-api' });
  producer = new SendProducer({ connection: producerRedis, prefix: config.REDIS_PREFIX, shardCount: SHARDS });
  // production log level, written nowhere (but still serialised); warnings are counted
  const logger = pino(
    { level: config.LOG_LEVEL },
    {
      write(line: string) {
        if (/"level":(40|50|60)/.test(line)) warnLines++;
      },
    },
  );
  const app = createApp({
    db,
    producer,
    redis: producerRedis,
    config,
    logger,
    switches: new DispatchSwitches({ redis: producerRedis, prefix: config.REDIS_PREFIX }),
    restrictions: new TenantRestriction({ redis: producerRedis, prefix: config.REDIS_PREFIX }),
  });
  const { url: appUrl } = await listen(app);

  const bare = express();
  bare.use(express.json());
  bare.post('/v1/tenants/:chatId/messages', (_req, res) => {
    res.status(202).json({ ok: true });
  });
  const { url: bareUrl } = await listen(bare);
  warnLines = 0; // "Bull Board is NOT mounted" at boot is expected
  return { appUrl, bareUrl, key: k.key };
}

async function load(url: string, key: string, seconds: number): Promise<RunResult> {
  const cpu0 = await cpuSnapshot(redis.client, tdb.pool);
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    workers: 1,
    timeout: 10,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: BODY,
    requests: chatIds.map((chatId) => ({
      method: 'POST' as const,
      path: `/v1/tenants/${chatId}/messages`,
      ...(opts.idempotency ? { setupRequest: SETUP_REQUEST as never } : {}),
    })),
  });
  const cpu1 = await cpuSnapshot(redis.client, tdb.pool);
  const accepted = r['2xx'];
  return {
    reqPerSec: accepted / r.duration,
    accepted,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    cpu: cpuPerItem(cpu0, cpu1, Math.max(1, accepted)),
  };
}

async function counts(): Promise<{ rows: number; jobs: number }> {
  const { rows } = await tdb.pool.query(`SELECT count(*)::int AS n FROM messages`);
  let jobs = 0;
  for (const q of producer.allQueues()) jobs += await q.getWaitingCount();
  return { rows: rows[0].n as number, jobs };
}

function teardown(): Promise<void> {
  return cleanUpInOrder(
    () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      ),
    () => producer?.close(),
    async () => producerRedis?.disconnect(),
    () => db?.$disconnect(),
    () => redis?.close(),
    () => tdb?.drop(),
  );
}

function line(label: string, r: RunResult): string {
  return `  ${label.padEnd(34)} ${fmt(r.reqPerSec).padStart(7)} req/s  p50 ${fmt(r.p50, 1).padStart(5)} ms  p99 ${fmt(r.p99, 1).padStart(5)} ms  (non-2xx ${r.non2xx}, errors ${r.errors})`;
}

async function main(): Promise<number> {
  console.log(
    `bench:api  ${CONNECTIONS} connections, ${DURATION} s per run after ${opts.warmup} s warm-up, ${opts.rounds} round(s), ` +
      `${TENANTS} tenants, Idempotency-Key ${opts.idempotency ? 'unique per request' : 'none'}`,
  );
  console.log(`  machine: ${machineLine()}`);
  const { appUrl, bareUrl, key } = await setup();
  const before = await counts();
  let appAccepted = 0;
  if (opts.warmup > 0) {
    await load(bareUrl, key, opts.warmup);
    appAccepted += (await load(appUrl, key, opts.warmup)).accepted;
  }
  const app: RunResult[] = [];
  const bare: RunResult[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const order = r % 2 === 0 ? (['bare', 'app'] as const) : (['app', 'bare'] as const);
    for (const kind of order) {
      const res = await load(kind === 'app' ? appUrl : bareUrl, key, DURATION);
      (kind === 'app' ? app : bare).push(res);
      if (kind === 'app') appAccepted += res.accepted;
      if (opts.rounds > 1) console.log(line(`round ${r + 1} ${kind}`, res));
    }
  }
  const med = (rs: RunResult[]): RunResult => ({
    reqPerSec: median(rs.map((x) => x.reqPerSec)),
    accepted: median(rs.map((x) => x.accepted)),
    p50: median(rs.map((x) => x.p50)),
    p99: median(rs.map((x) => x.p99)),
    non2xx: rs.reduce((s, x) => s + x.non2xx, 0),
    errors: rs.reduce((s, x) => s + x.errors, 0),
    cpu: {
      node: median(rs.map((x) => x.cpu.node)),
      postgres: median(rs.map((x) => x.cpu.postgres)),
      redis: median(rs.map((x) => x.cpu.redis)),
      coresBusy: median(rs.map((x) => x.cpu.coresBusy)),
    },
  });
  const a = med(app);
  const b = med(bare);
  await sleep(300); // requests in flight when autocannon stopped still finish
  const after = await counts();
  console.log(`\n  machine after: ${machineLine()}`);
  console.log(line('bare express (json + 202)', b));
  console.log(line('POST /v1/tenants/{chatId}/messages', a));
  console.log(`  ratio app/bare: throughput ${(a.reqPerSec / b.reqPerSec).toFixed(3)}, p99 latency ${(a.p99 / b.p99).toFixed(1)}x`);
  for (const [label, r] of [['bare', b], ['app', a]] as const) {
    console.log(
      `  ${label.padEnd(5)} CPU per request: node ${fmt(r.cpu.node).padStart(5)} µs (incl. autocannon thread), postgres ${fmt(r.cpu.postgres).padStart(5)} µs, redis ${fmt(r.cpu.redis).padStart(4)} µs  (${r.cpu.coresBusy.toFixed(2)} cores busy)`,
    );
  }
  const wrote = after.rows - before.rows;
  console.log(
    `  app: ${appAccepted} accepted (warm-up included), ${wrote} outbox rows and ${after.jobs - before.jobs} send jobs written ` +
      `(may exceed accepted by up to ${CONNECTIONS} per run: requests in flight at the end); warnings logged: ${warnLines}`,
  );

  if (opts.profile) {
    installCounters(repoRoot);
    const c = startCounting();
    const p = await load(appUrl, key, Math.min(DURATION, 3));
    stopCounting();
    console.log(`\n  profile (instrumented ${Math.min(DURATION, 3)} s run, ${p.accepted} accepted; rate not comparable)`);
    console.log('  app: Postgres queries per accepted request:');
    for (const l of describeCounts(c.pg, Math.max(1, p.accepted))) console.log(l);
    console.log('  app: Redis commands per accepted request:');
    for (const l of describeCounts(c.redis, Math.max(1, p.accepted))) console.log(l);
    // main thread = the app's event loop (autocannon runs in its own thread)
    const stop = await startCpuProfile();
    const q = await load(appUrl, key, Math.min(DURATION, 3));
    const profile = await stop();
    const file = saveProfile(join(repoRoot, 'bench/results'), 'api-bench-app', profile);
    const { lines, busyMs } = summarizeProfile(profile);
    console.log(`  app: main-thread self time by package (${q.accepted} accepted, ${fmt((busyMs * 1000) / Math.max(1, q.accepted))} µs busy per request; ${file.replace(`${repoRoot}/`, '')})`);
    for (const l of lines) console.log(l);
  }
  const sane = a.errors === 0 && b.errors === 0 && a.non2xx === 0 && b.non2xx === 0;
  if (!sane) console.log('  WARNING: some requests failed; the numbers above are not comparable');
  return sane ? 0 : 1;
}

await runBench(main, teardown);
