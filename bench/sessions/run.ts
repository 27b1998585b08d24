/**
 * Sessions benchmark (issue 5): memory per idle session and start-up time for
 * many simulator sessions spread over 2 worker processes, against a baseline
 * measured in the same run (the same 2 workers with no sessions). Where the
 * crabline fake WhatsApp Web server is installed, also the memory per real
 * Baileys socket, against the same process before the sockets opened.
 *
 *   npm run bench:sessions -- --sessions=1000
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sessionIdFor, shardOf } from '@wa-dispatch/core';
import { createTestDatabase, createTestRedis, repoRoot, type TestDatabase } from '@wa-dispatch/testing';
import { BaileysTransport, MemoryAuthStateStore, SessionAuthState, SimulatorControl } from '@wa-dispatch/whatsapp';
import { parseOptions } from '../lib/options.js';
import { fmt, forEachBounded, machineLine, sleep } from '../lib/stats.js';
import { spawnWorker, type WorkerProcess } from '../../test/support/worker-process.js';

const opts = parseOptions([
  { name: 'sessions', default: 1000, help: 'simulator sessions over the 2 workers' },
  { name: 'shards', default: 16, help: 'SHARD_COUNT' },
  { name: 'baileys', default: 20, help: 'real Baileys sockets against crabline (0 to skip)' },
] as const);

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) : Number.NaN;
}

async function connectedCount(db: TestDatabase): Promise<number> {
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM whatsapp_sessions WHERE status = 'connected'`);
  return rows[0].n as number;
}

/** Starts 2 workers on `db` and returns the time until `expected` sessions are connected, and their RSS. */
async function runWorkers(db: TestDatabase, redisUrl: string, prefix: string, simPrefix: string, expected: number) {
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    SIMULATOR_PREFIX: simPrefix,
    SHARD_COUNT: String(opts.shards),
    LEASE_TTL_MS: '5000',
    LOG_LEVEL: 'warn',
  };
  const started = performance.now();
  let workers: WorkerProcess[] = [];
  try {
    workers = await Promise.all([spawnWorker('bench-s-a', { ...env, LOG_LEVEL: 'info' }), spawnWorker('bench-s-b', { ...env, LOG_LEVEL: 'info' })]);
    const deadline = Date.now() + 300_000;
    while ((await connectedCount(db)) < expected) {
      if (Date.now() > deadline) throw new Error('sessions did not connect in 5 minutes');
      await sleep(50);
    }
    const readyMs = performance.now() - started;
    await sleep(3_000); // let start-up garbage go
    const rss = workers.map((w) => rssKiB(w.proc.pid!));
    return { readyMs, rss };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function seed(db: TestDatabase, control: SimulatorControl, n: number): Promise<void> {
  await db.pool.query(
    `INSERT INTO tenants (chat_id, name) SELECT 800000000 + g, 'bench ' || g FROM generate_series(1, $1) g`,
    [n],
  );
  const ids = Array.from({ length: n }, (_, i) => 800_000_001n + BigInt(i));
  await db.pool.query(
    `INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard, status)
     SELECT 'user_' || c, c, s, 'connecting' FROM unnest($1::bigint[], $2::int[]) AS t(c, s)`,
    [ids.map(String), ids.map((c) => shardOf(c, opts.shards))],
  );
  await forEachBounded(ids, 20, (chatId, i) => control.link(sessionIdFor(chatId), `55119${String(i).padStart(8, '0')}`));
}

async function simulatorBench(): Promise<void> {
  const redis = await createTestRedis('bench-sessions');
  const simPrefix = `${redis.prefix}-sim`;
  const control = new SimulatorControl({ redis: redis.url, prefix: simPrefix });
  const empty = await createTestDatabase('bench_sessions_empty');
  const full = await createTestDatabase('bench_sessions');
  try {
    await seed(full, control, opts.sessions);
    const base = await runWorkers(empty, redis.url, `${redis.prefix}-a`, simPrefix, 0);
    const loaded = await runWorkers(full, redis.url, `${redis.prefix}-b`, simPrefix, opts.sessions);
    const baseRss = base.rss.reduce((a, b) => a + b, 0);
    const loadedRss = loaded.rss.reduce((a, b) => a + b, 0);
    const perSession = (loadedRss - baseRss) / opts.sessions;
    console.log(`simulator sessions: ${fmt(opts.sessions)} over 2 workers, ${opts.shards} shards`);
    console.log(`  start-up (spawn → all shards up)          baseline ${fmt(base.readyMs)} ms`);
    console.log(`  start-up (spawn → every session connected) ${fmt(loaded.readyMs)} ms  ratio ${fmt(loaded.readyMs / base.readyMs, 2)}`);
    console.log(`  RSS of both workers: baseline ${fmt(baseRss)} KiB, with sessions ${fmt(loadedRss)} KiB (ratio ${fmt(loadedRss / baseRss, 2)})`);
    console.log(`  memory per idle session: ${fmt(perSession, 1)} KiB`);
  } finally {
    await control.reset();
    await control.close();
    await empty.drop();
    await full.drop();
    await redis.close();
  }
}

function findCrabline(): string | undefined {
  const path = join(repoRoot, 'node_modules/@openclaw/crabline/dist/src/bin/crabline.js');
  return existsSync(path) ? path : undefined;
}

/** Per real Baileys socket, in this process, against crabline. */
async function baileysBench(): Promise<void> {
  const bin = findCrabline();
  if (!bin || opts.baileys === 0) {
    console.log('baileys sockets: not measured (crabline not installed or --baileys=0)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'wad-bench-crabline-'));
  const readyFile = join(dir, 'ready.json');
  const server = spawn(process.execPath, [bin, '--json', 'serve', 'whatsapp', '--ready-file', readyFile], { cwd: dir, stdio: 'ignore' });
  const transport = { current: undefined as BaileysTransport | undefined };
  try {
    const deadline = Date.now() + 15_000;
    while (!(existsSync(readyFile) && readFileSync(readyFile, 'utf8').trim().endsWith('}'))) {
      if (Date.now() > deadline) throw new Error('crabline did not start');
      await sleep(50);
    }
    const manifest = JSON.parse(readFileSync(readyFile, 'utf8')) as { selfJid: string; endpoints: { baileysWebSocketUrl: string } };
    const store = new MemoryAuthStateStore();
    const t = new BaileysTransport({
      authStore: store,
      socketConfig: { waWebSocketUrl: manifest.endpoints.baileysWebSocketUrl, connectTimeoutMs: 5_000 },
    });
    transport.current = t;
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    const opened = performance.now();
    let connected = 0;
    await forEachBounded(Array.from({ length: opts.baileys }, (_, i) => i + 1), 5, async (i) => {
      const sessionId = `user_${i}`;
      store.addSession(sessionId);
      const seeded = await SessionAuthState.load({ store, sessionId, epoch: 1n });
      await seeded.saveCreds({ me: { id: manifest.selfJid }, registered: true });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        void t.open({
          sessionId,
          ownerChatId: BigInt(i),
          epoch: 1n,
          handlers: {
            onState: (state) => {
              if (state === 'connected') {
                connected++;
                clearTimeout(timer);
                resolve();
              }
            },
            onReceipt() {},
            onInbound() {},
          },
        });
      });
    });
    const openMs = performance.now() - opened;
    await sleep(2_000);
    globalThis.gc?.();
    const after = process.memoryUsage().rss;
    console.log(`baileys sockets (crabline): ${connected}/${opts.baileys} connected in ${fmt(openMs)} ms`);
    if (connected > 0) console.log(`  memory per real Baileys socket: ${fmt((after - before) / 1024 / connected, 1)} KiB`);
  } catch (err) {
    console.log(`baileys sockets: not measured (${(err as Error).message})`);
  } finally {
    await transport.current?.shutdown().catch(() => undefined);
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  }
}

console.log(machineLine());
await simulatorBench();
await baileysBench();
process.exit(0);
