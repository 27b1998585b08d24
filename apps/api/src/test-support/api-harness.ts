/**
 * Test harness: one app on its own PostgreSQL schema and Redis prefix,
 * listening on an ephemeral port, plus helpers to call it and to look at
 * everything it wrote. Never part of the build (see tsconfig.build.json).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { parseConfig, shardOf } from '@wa-dispatch/core';
import { createDb, type Db } from '@wa-dispatch/db';
import { DispatchSwitches, SendProducer, TenantRestriction, createRemindersQueue } from '@wa-dispatch/queue';
import { PairingRequests, QrStore, SessionSignal } from '@wa-dispatch/queue';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import { generateApiKey } from '../auth/api-key-codec.js';
import { createApp, type ApiDeps } from '../create-app.js';
import { ApiEnv } from '../env.js';

export const ADMIN_ENV_KEY = 'env-admin-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const OPERATOR_PASSWORD = 'operator-secret-pw';
export const SHARDS = 4;

export interface CallOptions {
  key?: string | undefined;
  body?: unknown;
  /** sent verbatim (for malformed JSON, wrong content types, huge bodies) */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface Harness {
  db: Db;
  tdb: TestDatabase;
  redis: TestRedis;
  producer: SendProducer;
  /** The reminders queue the app upserts Job Schedulers on. */
  reminders: ReturnType<typeof createRemindersQueue>;
  baseUrl: string;
  logs: string[];
  call(method: string, path: string, opts?: CallOptions): Promise<CallResult>;
  /** Inserts a tenant + its session straight into the database. */
  seedTenant(chatId: bigint, opts?: { status?: string; numero?: string }): Promise<void>;
  /** Inserts a key straight into the database; returns the plain key. */
  seedKey(scope: 'admin' | 'service' | 'tenant', chatId?: bigint, revoked?: boolean): Promise<{ key: string; id: string }>;
  counts(): Promise<Record<string, number>>;
  redisKeys(): Promise<string[]>;
  /** Every key and every value stored under the prefix, as one string (for leak checks). */
  redisDump(): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(
  label: string,
  opts: { env?: Record<string, string | undefined>; deps?: (d: ApiDeps) => ApiDeps } = {},
): Promise<Harness> {
  const tdb = await createTestDatabase(label);
  const redis = await createTestRedis(label);
  const db = createDb({ url: tdb.url, max: 8 });
  const config = parseConfig(ApiEnv, {
    DATABASE_URL: tdb.url,
    REDIS_PREFIX: redis.prefix,
    SHARD_COUNT: String(SHARDS),
    ADMIN_API_KEY: ADMIN_ENV_KEY,
    OPERATOR_PASSWORD,
    LOG_LEVEL: 'debug',
    ...opts.env,
  });
  const producer = new SendProducer({ connection: redis.client, prefix: redis.prefix, shardCount: SHARDS });
  const reminders = createRemindersQueue({ connection: redis.client, prefix: redis.prefix });
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  let deps: ApiDeps = {
    db,
    producer,
    redis: redis.client,
    config,
    logger,
    enqueueTimeoutMs: 500,
    reminders,
    switches: new DispatchSwitches({ redis: redis.client, prefix: redis.prefix }),
    restrictions: new TenantRestriction({ redis: redis.client, prefix: redis.prefix }),
    sessionLink: {
      signal: new SessionSignal({ redis: redis.client, prefix: redis.prefix }),
      qrs: new QrStore({ redis: redis.client, prefix: redis.prefix }),
      pairing: new PairingRequests({ redis: redis.client, prefix: redis.prefix }),
      pairingTimeoutMs: 1_000,
    },
  };
  if (opts.deps) deps = opts.deps(deps);
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function call(method: string, path: string, o: CallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...o.headers };
    if (o.key !== undefined) headers.authorization = `Bearer ${o.key}`;
    let body: string | Buffer | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  async function redisKeys(): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.client.scan(cursor, 'MATCH', `${redis.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
    return out.sort();
  }

  return {
    db,
    tdb,
    redis,
    producer,
    reminders,
    baseUrl,
    logs,
    call,
    async seedTenant(chatId, o = {}) {
      await tdb.pool.query(`INSERT INTO tenants (chat_id, name, status) VALUES ($1, $2, $3)`, [
        chatId.toString(),
        `tenant ${chatId}`,
        o.status ?? 'active',
      ]);
      await tdb.pool.query(
        `INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard, status, numero_whatsapp) VALUES ($1, $2, $3, $4, $5)`,
        [`user_${chatId}`, chatId.toString(), shardOf(chatId, SHARDS), o.numero ? 'connected' : 'unlinked', o.numero ?? null],
      );
    },
    async seedKey(scope, chatId, revoked = false) {
      const k = generateApiKey(scope);
      const { rows } = await tdb.pool.query(
        `INSERT INTO api_keys (id, hash, prefix, scope, chat_id, revoked_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, ${revoked ? 'now()' : 'NULL'}) RETURNING id`,
        [k.hash, k.prefix, scope, chatId?.toString() ?? null],
      );
      return { key: k.key, id: rows[0].id as string };
    },
    async counts() {
      const { rows } = await tdb.pool.query(`
        SELECT (SELECT count(*) FROM tenants)::int AS tenants,
               (SELECT count(*) FROM whatsapp_sessions)::int AS sessions,
               (SELECT count(*) FROM api_keys)::int AS api_keys,
               (SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL)::int AS revoked_keys,
               (SELECT count(*) FROM messages)::int AS messages,
               (SELECT count(*) FROM message_events)::int AS message_events,
               (SELECT count(*) FROM audit_events)::int AS audit_events,
               (SELECT count(*) FROM dispatch_switches)::int AS dispatch_switches,
               (SELECT count(*) FROM tenants WHERE paused)::int AS paused_tenants,
               (SELECT count(*) FROM tenants WHERE limits IS NOT NULL)::int AS tenants_with_limits,
               (SELECT count(*) FROM reminder_schedules)::int AS schedules,
               (SELECT count(*) FROM schedule_runs)::int AS schedule_runs`);
      return { ...rows[0], redis_keys: (await redisKeys()).length };
    },
    redisKeys,
    async redisDump() {
      const parts: string[] = [];
      for (const key of await redisKeys()) {
        parts.push(key);
        const type = await redis.client.type(key);
        if (type === 'string') parts.push((await redis.client.get(key)) ?? '');
        else if (type === 'hash') parts.push(JSON.stringify(await redis.client.hgetall(key)));
        else if (type === 'list') parts.push(JSON.stringify(await redis.client.lrange(key, 0, -1)));
        else if (type === 'set') parts.push(JSON.stringify(await redis.client.smembers(key)));
        else if (type === 'zset') parts.push(JSON.stringify(await redis.client.zrange(key, 0, -1, 'WITHSCORES')));
        else if (type === 'stream') parts.push(JSON.stringify(await redis.client.xrange(key, '-', '+')));
        else parts.push(`<${type}>`);
      }
      return parts.join('\n');
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await producer.close();
      await reminders.close();
      await redis.close();
      await db.$disconnect();
      await tdb.drop();
    },
  };
}
