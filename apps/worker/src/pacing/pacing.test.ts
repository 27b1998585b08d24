import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { DEFAULT_RESTRICTION_BACKOFF_MS, type AuditEntry } from '@wa-dispatch/core';
import { createDb, PacingRepository, type Db } from '@wa-dispatch/db';
import { DispatchSwitches, TenantRestriction } from '@wa-dispatch/queue';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import { WorkerMetrics } from '../metrics.js';
import { RestrictionBreaker } from './restriction-breaker.js';
import { SwitchSync } from './switch-sync.js';
import { TtlCache } from './ttl-cache.js';

let tdb: TestDatabase;
let db: Db;
let redis: TestRedis;
let pacing: PacingRepository;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  tdb = await createTestDatabase('worker_pacing');
  db = createDb({ url: tdb.url, max: 2 });
  redis = await createTestRedis('worker_pacing');
  pacing = new PacingRepository(db);
});

afterAll(async () => {
  await redis?.close();
  await db?.$disconnect();
  await tdb?.drop();
});

describe('SwitchSync', () => {
  it('re-asserts lost fields from Postgres, never undoes a newer pause, and repairs a stale copy', async () => {
    const switches = new DispatchSwitches({ redis: redis.client, prefix: redis.prefix, cacheMs: 0 });
    const sync = new SwitchSync({ pacing, switches, redis: redis.client, prefix: redis.prefix, intervalMs: 1000, logger });
    await pacing.setSwitch('all', true, 'test');
    // Redis lost everything: both fields come back from Postgres
    expect(await sync.runOnce()).toEqual(['all', 'automatic']);
    expect(await switches.read()).toEqual({ pausedAll: true, pausedAutomatic: false, present: true });
    // agreement: nothing written
    expect(await sync.runOnce()).toEqual([]);
    // a copy that disagrees (API died between its Postgres and Redis writes) is repaired on the second look
    await pacing.setSwitch('all', false, 'test');
    expect(await sync.runOnce()).toEqual([]);
    expect(await sync.runOnce()).toEqual(['all']);
    expect((await switches.read()).pausedAll).toBe(false);
  });
});

describe('RestrictionBreaker', () => {
  it('takes untilMs, else retryAfterMs (at least 1 s), else the default back-off; audits and counts', async () => {
    const now = 1_900_000_000_000;
    const restrictions = new TenantRestriction({ redis: redis.client, prefix: redis.prefix, clock: { now: () => now } });
    const audits: AuditEntry[] = [];
    const metrics = new WorkerMetrics();
    const breaker = new RestrictionBreaker({
      restrictions,
      audit: { record: async (e) => void audits.push(e) },
      metrics,
      logger,
      shardCount: 4,
      workerId: 'w1',
      now: () => now,
    });
    expect(breaker.kindOf('TRANSPORT.RESTRICTED')).toBe('restricted');
    expect(breaker.kindOf('TRANSPORT.SEND_FAILED')).toBeUndefined();
    expect(await breaker.trip(1n, 'restricted', { untilMs: now + 5_000 }, 'm1')).toBe(now + 5_000);
    expect(await breaker.trip(2n, 'rate_limited', { retryAfterMs: 0 }, 'm2')).toBe(now + 1_000);
    expect(await breaker.trip(3n, 'reachout_locked', undefined, 'm3')).toBe(now + DEFAULT_RESTRICTION_BACKOFF_MS.reachout_locked);
    // a later restriction already recorded wins
    expect(await breaker.trip(1n, 'restricted', { untilMs: now + 2_000 }, 'm4')).toBe(now + 5_000);
    expect(audits.map((a) => [a.chatId, a.action, a.code])).toEqual([
      [1n, 'tenant.restricted', 'TRANSPORT.RESTRICTED'],
      [2n, 'tenant.restricted', 'TRANSPORT.RATE_LIMITED'],
      [3n, 'tenant.restricted', 'TRANSPORT.REACHOUT_LOCKED'],
      [1n, 'tenant.restricted', 'TRANSPORT.RESTRICTED'],
    ]);
    expect(await metrics.registry.getSingleMetricAsString('wad_tenant_restrictions_total')).toContain('kind="restricted"} 2');
  });
});

describe('TtlCache', () => {
  it('serves a value for ttl ms from the start of its read, one read in flight per key, errors not cached', async () => {
    let t = 0;
    let reads = 0;
    let fail = false;
    const cache = new TtlCache<string, number>(
      100,
      async () => {
        reads++;
        if (fail) throw new Error('down');
        return reads;
      },
      () => t,
    );
    const [a, b] = await Promise.all([cache.get('k'), cache.get('k')]);
    expect([a, b, reads]).toEqual([1, 1, 1]);
    t = 99;
    expect(await cache.get('k')).toBe(1);
    t = 100;
    fail = true;
    await expect(cache.get('k')).rejects.toThrow('down');
    fail = false;
    expect(await cache.get('k')).toBe(3);
  });
});
