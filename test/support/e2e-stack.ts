import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { pino } from 'pino';
import { sessionIdFor } from '@wa-dispatch/core';
import { startApi, type RunningApi } from '@wa-dispatch/api';
import { createDb, type Db } from '@wa-dispatch/db';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import { SimulatorControl } from '@wa-dispatch/whatsapp';
import { startPrivateRedis, type PrivateRedis } from './private-redis.js';
import { simLink } from './sim-link.js';
import { waitUntil } from './wait-until.js';
import { spawnWorker, type WorkerProcess } from './worker-process.js';

/**
 * The world a cross-process test runs in, built one way: its own schema and
 * Redis prefix, a simulator namespace, optionally the API, and worker
 * processes on the same settings. Only set-up and teardown live here; what a
 * test checks stays in the test.
 */
export interface StackOptions {
  /** Labels the test's own schema and Redis prefix. */
  name: string;
  shards: number;
  /** Starts the API with this admin key; worker-only tests leave it out. */
  adminKey?: string;
  /** On top of the API's stack settings (database, Redis, shards, admin key, port). */
  apiEnv?: Record<string, string>;
  /** On top of every worker's stack settings; a spawnWorker call can add more. */
  workerEnv?: Record<string, string>;
  /** Worker ids spawned (in parallel, with the API) before startStack returns. */
  workers?: string[];
  /** Pool size of the Prisma client the test uses next to the processes. */
  prismaMax?: number;
  /**
   * The dispatcher's Redis on a throwaway server (for tests that FLUSHALL),
   * under the production prefix 'wad'; the simulator stays on the shared one.
   */
  privateDispatchRedis?: boolean;
}

/** The Redis the API and workers dispatch through (connection, client, key prefix). */
export interface DispatchRedis {
  url: string;
  client: Redis;
  prefix: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response says it is JSON, else undefined. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** The raw body (a QR PNG, for instance). */
  bytes: Buffer;
}

export interface E2eStack {
  db: TestDatabase;
  prisma: Db;
  /** The shared server under this test's own prefix (the simulator's Redis). */
  redis: TestRedis;
  dispatch: DispatchRedis;
  simPrefix: string;
  control: SimulatorControl;
  api: RunningApi | undefined;
  base: string;
  /** Every worker spawned through the stack, stopped or not. */
  workers: WorkerProcess[];
  spawnWorker(id: string, env?: Record<string, string>): Promise<WorkerProcess>;
  call(method: string, path: string, key: string, body?: unknown): Promise<ApiResponse>;
  /** Creates a tenant and an API key for it (as the admin); `limits` PATCHed when given. Returns the key. */
  createTenant(chatId: bigint, opts?: { limits?: Record<string, unknown> }): Promise<string>;
  /** Links each tenant's number through `wa-dispatch sim link`, then waits until those sessions are connected. */
  linkAll(tenants: readonly { chatId: bigint; phone: string }[], timeoutMs?: number, everyMs?: number): Promise<void>;
  /** Waits until the stack's workers have, between them, acquired every shard. */
  waitForEveryShard(timeoutMs?: number): Promise<void>;
  /** Runs at stop, after the processes and before the stack's own clients (latest first). */
  onStop(close: () => Promise<unknown> | unknown): void;
  stop(): Promise<void>;
}

/**
 * Room for a few sends at once: a new number's warm-up spaces its first
 * messages by many seconds (issue 4), which would outlast the waits of tests
 * about something else.
 */
export const ROOMY_LIMITS = { warmup: false, ratePerMinute: 60, burst: 10 } as const;

/** One HTTP call to the API with a bearer key; JSON in and, when the response says so, out. */
export async function callApi(base: string, method: string, path: string, key: string, body?: unknown): Promise<ApiResponse> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const json = (res.headers.get('content-type') ?? '').includes('json') && bytes.length > 0;
  return { status: res.status, headers: res.headers, body: json ? JSON.parse(bytes.toString('utf8')) : undefined, bytes };
}

export async function startStack(opts: StackOptions): Promise<E2eStack> {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  const parts: Partial<Pick<E2eStack, 'db' | 'prisma' | 'redis' | 'control' | 'api'>> & { privateRedis?: PrivateRedis } = {};
  const workers: WorkerProcess[] = [];
  const spawning = new Set<Promise<unknown>>();
  let stopped = false;

  // every step runs even when one before it fails, so a broken test still
  // leaves no schema, Redis key or process behind; the first error is rethrown
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<unknown> | unknown) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    };
    // a worker still starting when a set-up step failed is waited for, so it is stopped too
    await Promise.allSettled([...spawning]);
    await step(() => Promise.all(workers.map((w) => w.stop())));
    await step(() => parts.api?.close());
    for (const close of closers.reverse()) await step(close);
    await step(() => parts.control?.reset());
    await step(() => parts.control?.close());
    await step(() => parts.prisma?.$disconnect());
    await step(() => parts.privateRedis?.stop());
    await step(() => parts.redis?.close());
    await step(() => parts.db?.drop());
    if (errors.length > 0) throw errors[0];
  };

  try {
    const db = (parts.db = await createTestDatabase(opts.name));
    const redis = (parts.redis = await createTestRedis(opts.name));
    const prisma = (parts.prisma = createDb({ url: db.url, max: opts.prismaMax ?? 2 }));
    const simPrefix = `${redis.prefix}-sim`;
    const control = (parts.control = new SimulatorControl({ redis: redis.url, prefix: simPrefix }));
    let dispatch: DispatchRedis = { url: redis.url, client: redis.client, prefix: redis.prefix };
    if (opts.privateDispatchRedis) {
      const own = (parts.privateRedis = await startPrivateRedis());
      dispatch = { url: own.url, client: own.client, prefix: 'wad' };
    }
    const common = { DATABASE_URL: db.url, REDIS_URL: dispatch.url, REDIS_PREFIX: dispatch.prefix, SHARD_COUNT: String(opts.shards) };
    const workerBase = {
      ...common,
      // the simulator plays WhatsApp on the shared server even when the dispatcher's Redis is private
      ...(opts.privateDispatchRedis ? { SIMULATOR_REDIS_URL: redis.url } : {}),
      SIMULATOR_PREFIX: simPrefix,
      LEASE_TTL_MS: '2000',
      WHATSAPP_TRANSPORT: 'simulator',
      ...opts.workerEnv,
    };
    const spawn = async (id: string, env: Record<string, string> = {}) => {
      if (stopped) throw new Error(`worker ${id} spawned after the stack stopped`);
      const starting = spawnWorker(id, { ...workerBase, ...env }).then((w) => {
        workers.push(w);
        return w;
      });
      spawning.add(starting);
      try {
        return await starting;
      } finally {
        spawning.delete(starting);
      }
    };
    // the API and the workers do not need each other to start: in parallel, set-up is shorter;
    // all settled before a failure is thrown, so stop() sees every process that did start
    const started = await Promise.allSettled([
      opts.adminKey === undefined
        ? undefined
        : startApi(
            { ...common, ADMIN_API_KEY: opts.adminKey, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...opts.apiEnv },
            { logger: pino({ level: 'silent' }) },
          ).then((a) => (parts.api = a)),
      ...(opts.workers ?? []).map((id) => spawn(id)),
    ]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const api = parts.api;
    const base = api ? `http://127.0.0.1:${api.port}` : '';
    const call: E2eStack['call'] = (method, path, key, body) => {
      if (!api) throw new Error('this stack runs no API (no adminKey given)');
      return callApi(base, method, path, key, body);
    };
    const admin = opts.adminKey ?? '';

    return {
      db,
      prisma,
      redis,
      dispatch,
      simPrefix,
      control,
      api,
      base,
      workers,
      spawnWorker: spawn,
      call,
      async createTenant(chatId, { limits } = {}) {
        const made = await call('POST', '/v1/tenants', admin, { chatId: chatId.toString(), name: `tenant ${chatId}` });
        expect(made.status, JSON.stringify(made.body)).toBe(201);
        const key = await call('POST', `/v1/tenants/${chatId}/api-keys`, admin, {});
        expect(key.status, JSON.stringify(key.body)).toBe(201);
        if (limits) {
          const patched = await call('PATCH', `/v1/tenants/${chatId}/limits`, admin, limits);
          expect(patched.status, JSON.stringify(patched.body)).toBe(200);
        }
        return key.body.key as string;
      },
      async linkAll(tenants, timeoutMs = 30_000, everyMs = 50) {
        const deps = { control, db: prisma, redis: dispatch.client, prefix: dispatch.prefix };
        for (const t of tenants) await simLink(deps, t.chatId, t.phone);
        const ids = tenants.map((t) => sessionIdFor(t.chatId));
        await waitUntil(
          async () => {
            const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM whatsapp_sessions WHERE status = 'connected' AND session_id = ANY($1)`, [ids]);
            return rows[0].n === ids.length;
          },
          `${ids.length} sessions connected`,
          timeoutMs,
          everyMs,
        ).catch(async (err) => {
          const { rows } = await db.pool.query(`SELECT session_id, status, shard, epoch, last_error FROM whatsapp_sessions`);
          console.error(rows, workers.map((w) => w.logs.filter((l) => l.level !== 30 || String(l.msg).includes('session'))));
          throw err;
        });
      },
      async waitForEveryShard(timeoutMs = 20_000) {
        await waitUntil(
          () => new Set(workers.flatMap((w) => w.logs.filter((l) => l.msg === 'shard acquired').map((l) => l.shard))).size === opts.shards,
          `the workers to acquire all ${opts.shards} shards`,
          timeoutMs,
        );
      },
      onStop(close) {
        closers.push(close);
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
