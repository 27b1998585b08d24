import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { TenantLimits, seededRandom, shardOf } from '@wa-dispatch/core';
import { DispatchSwitches, KillSwitchGate } from './dispatch-switches.js';
import { PacingGate } from './pacing-gate.js';
import { RestrictionGate, TenantRestriction } from './tenant-restriction.js';
import { TenantPacer, type PaceDecision } from './tenant-pacer.js';
import { ctxFor, limits } from './test-support/fixtures.js';

const SHARDS = 16;
const A = 2001n;
const B = 2002n;
const KNOWN = '5511911112222';
const STRANGER = '5511933334444';

describe('pacing gates', () => {
  let redis: TestRedis;
  let pacer: TenantPacer;
  let clockNow: number;
  const clock = { now: () => clockNow };

  beforeAll(async () => {
    redis = await createTestRedis('queue-gates');
    pacer = new TenantPacer({ redis: redis.client, prefix: redis.prefix });
  });
  beforeEach(async () => {
    clockNow = Date.now();
    await redis.wipe();
  });
  afterAll(async () => {
    await redis.close();
  });

  describe('TenantRestriction + RestrictionGate', () => {
    it('records restrictions per tenant and kind, keeps the later end, expires at the end, lifts', async () => {
      const store = new TenantRestriction({ redis: redis.client, prefix: redis.prefix, clock });
      const shard = shardOf(A, SHARDS);
      const end = clockNow + 60_000;
      expect(await store.restrict(A, shard, end, 'rate_limited')).toBe(end);
      expect(await store.restrict(A, shard, end - 10_000, 'rate_limited')).toBe(end); // later end wins
      expect(await store.restrict(A, shard, clockNow - 1, 'restricted')).toBe(0); // already over: no-op
      const st = await store.status(A, shard);
      expect(st).toEqual({ active: { rate_limited: end }, sendBlockedUntilMs: end, sendBlockedBy: 'rate_limited', firstContactBlockedUntilMs: null });
      const pttl = await redis.client.pttl(`${redis.prefix}:restrict:{s${shard}}:${A}:rate_limited`);
      expect(pttl).toBeGreaterThan(50_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
      expect((await store.status(B, shardOf(B, SHARDS))).active).toEqual({});
      clockNow = end; // past the end (the key may still exist for an instant)
      expect((await store.status(A, shard)).sendBlockedUntilMs).toBeNull();
      clockNow = Date.now();
      await store.lift(A, shard);
      expect((await store.status(A, shard)).active).toEqual({});
    });

    it('restricted / rate_limited hold every send of exactly that tenant until the end', async () => {
      const store = new TenantRestriction({ redis: redis.client, prefix: redis.prefix, clock });
      const gate = new RestrictionGate({ restrictions: store, pacer, shardCount: SHARDS, spreadMs: 1000, random: seededRandom(3) });
      const end = clockNow + 3_600_000;
      await store.restrict(A, shardOf(A, SHARDS), end, 'restricted');
      const held = await gate.check(ctxFor(A, KNOWN, clockNow));
      expect(held?.code).toBe('TRANSPORT.RESTRICTED');
      expect(held!.untilMs).toBeGreaterThanOrEqual(end);
      expect(held!.untilMs).toBeLessThanOrEqual(end + 1000);
      expect(await gate.check(ctxFor(B, KNOWN, clockNow))).toBeUndefined();
      await store.lift(A, shardOf(A, SHARDS), 'restricted');
      await store.restrict(A, shardOf(A, SHARDS), end, 'rate_limited');
      expect((await gate.check(ctxFor(A, KNOWN, clockNow)))?.code).toBe('TRANSPORT.RATE_LIMITED');
      // After the end the tenant sends again.
      expect(await gate.check(ctxFor(A, KNOWN, end + 1))).toBeUndefined();
    });

    it('reachout_locked holds only first contacts', async () => {
      const store = new TenantRestriction({ redis: redis.client, prefix: redis.prefix, clock });
      const gate = new RestrictionGate({ restrictions: store, pacer, shardCount: SHARDS, spreadMs: 0 });
      const shard = shardOf(A, SHARDS);
      await pacer.rememberRecipients(A, shard, [KNOWN]);
      const end = clockNow + 600_000;
      await store.restrict(A, shard, end, 'reachout_locked');
      expect(await gate.check(ctxFor(A, KNOWN, clockNow))).toBeUndefined();
      expect(await gate.check(ctxFor(A, STRANGER, clockNow))).toEqual({ untilMs: end, code: 'TRANSPORT.REACHOUT_LOCKED' });
      // Another tenant is not locked, even for the same stranger.
      expect(await gate.check(ctxFor(B, STRANGER, clockNow))).toBeUndefined();
    });
  });

  describe('PacingGate', () => {
    it('delays with RATE.LIMITED to the next slot plus bounded jitter, and applies warm-up and time zone', async () => {
      const cfg = { ...limits({ ratePerMinute: 60, burst: 3, jitterMs: 500 }), timeZone: 'America/Sao_Paulo', linkedAt: null };
      const decisions: PaceDecision[] = [];
      const gate = new PacingGate({
        pacer,
        shardCount: SHARDS,
        limitsFor: async () => cfg,
        random: seededRandom(9),
        onDecision: (_ctx, d) => decisions.push(d),
      });
      const now = Date.now();
      for (let i = 0; i < 3; i++) expect(await gate.check(ctxFor(A, KNOWN, now))).toBeUndefined();
      const jitters: number[] = [];
      for (let i = 0; i < 20; i++) {
        const held = await gate.check(ctxFor(A, KNOWN, now));
        expect(held?.code).toBe('RATE.LIMITED');
        const d = decisions.at(-1)!;
        if (d.allowed) throw new Error('expected a refusal');
        expect(d.reason).toBe('rate');
        // the next slot: one interval after the first send (Redis clock)
        if (i === 0) expect(d.retryAtMs).toBe(decisions[0]!.atMs + 1000);
        jitters.push(held!.untilMs - d.retryAtMs);
      }
      // jitter ≤ min(jitterMs 500, (burst-1)·interval 2000)
      expect(Math.min(...jitters)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...jitters)).toBeLessThanOrEqual(500);
      expect(new Set(jitters).size).toBeGreaterThan(1);

      // Freshly linked number: warm-up burst is 2 → the third message waits.
      const warm = { ...TenantLimits.parse({ recipientSpacingMs: 0, jitterMs: 0 }), linkedAt: new Date(now - 3_600_000) };
      const warmGate = new PacingGate({ pacer, shardCount: SHARDS, limitsFor: async () => warm });
      expect(await warmGate.check(ctxFor(B, KNOWN, now))).toBeUndefined();
      expect(await warmGate.check(ctxFor(B, STRANGER, now))).toBeUndefined();
      const third = await warmGate.check(ctxFor(B, '5511955556666', now));
      expect(third?.code).toBe('RATE.LIMITED');
      expect(third!.untilMs - now).toBeGreaterThan(170_000); // 20/hour → 3 min interval
    });

    it('uses the tenant time zone for the first-contact day', async () => {
      const cfg = { ...limits({ ratePerMinute: 60, burst: 10, firstContactDailyBudget: 1 }), timeZone: 'Asia/Tokyo' };
      const gate = new PacingGate({ pacer, shardCount: SHARDS, limitsFor: async () => cfg });
      const now = Date.now();
      expect(await gate.check(ctxFor(A, KNOWN, now))).toBeUndefined();
      const held = await gate.check(ctxFor(A, STRANGER, now));
      expect(held?.code).toBe('RATE.LIMITED');
      // Tokyo midnight is 15:00 UTC.
      expect(new Date(held!.untilMs).getUTCHours()).toBe(15);
      expect(new Date(held!.untilMs).getUTCMinutes()).toBe(0);
    });
  });

  describe('DispatchSwitches + KillSwitchGate', () => {
    it('a pause reaches another process within its cache window', async () => {
      const a = new DispatchSwitches({ redis: redis.client, prefix: redis.prefix, clock });
      const b = new DispatchSwitches({ redis: redis.client, prefix: redis.prefix, clock });
      const gate = new KillSwitchGate({ switches: b, recheckMs: 1000, spreadMs: 0 });
      await a.set({ pausedAll: false, pausedAutomatic: false }, { settle: false }); // as the worker's sync asserts it
      const t = clockNow;
      expect(await b.isPaused()).toBe(false); // b caches "running" at t
      await a.pauseAll({ settle: false });
      expect(await a.isPaused()).toBe(true); // the writer sees it at once
      clockNow = t + 200;
      expect(await b.isPaused()).toBe(false); // still within b's 250 ms cache
      clockNow = t + 250;
      expect(await b.isPaused()).toBe(true);
      expect(await gate.check(ctxFor(A, KNOWN, clockNow))).toEqual({ untilMs: clockNow + 1000, code: 'DISPATCH.KILL_SWITCH' });
      await a.resumeAll();
      clockNow = t + 600;
      expect(await gate.check(ctxFor(A, KNOWN, clockNow))).toBeUndefined();
    });

    it('fails closed while the switch hash is missing (Redis lost it), until it is asserted', async () => {
      await redis.wipe();
      const s = new DispatchSwitches({ redis: redis.client, prefix: redis.prefix, clock });
      expect(await s.isPaused()).toBe(true);
      expect(await s.isAutomaticPaused()).toBe(true);
      await s.set({ pausedAll: false, pausedAutomatic: false }, { settle: false });
      expect(await s.isPaused()).toBe(false);
    });

    it('pauseAll() returns only after every cache has expired (real clock)', async () => {
      const a = new DispatchSwitches({ redis: redis.client, prefix: redis.prefix });
      const b = new DispatchSwitches({ redis: redis.client, prefix: redis.prefix });
      await a.set({ pausedAll: false, pausedAutomatic: false }, { settle: false });
      expect(await b.isPaused()).toBe(false);
      await a.pauseAll();
      expect(await b.isPaused()).toBe(true);
      await a.resumeAll();
    });

    it('the automatic switch holds only automatic sends; state can be re-asserted after a flush', async () => {
      const s = new DispatchSwitches({ redis: redis.client, prefix: redis.prefix, clock });
      expect(await s.read()).toEqual({ pausedAll: false, pausedAutomatic: false, present: false });
      const gate = new KillSwitchGate({ switches: s, isAutomatic: (ctx) => ctx.message.text === 'auto', spreadMs: 0 });
      await s.pauseAutomatic({ settle: false });
      const auto = ctxFor(A, KNOWN, clockNow);
      auto.message.text = 'auto';
      expect((await gate.check(auto))?.code).toBe('DISPATCH.PAUSED');
      expect(await gate.check(ctxFor(A, KNOWN, clockNow))).toBeUndefined();
      expect(await s.isAutomaticPaused()).toBe(true);
      // A Redis flush loses the switch; the reconciler sees `present: false` and re-asserts.
      await redis.wipe();
      expect((await s.read()).present).toBe(false);
      await s.set({ pausedAll: true, pausedAutomatic: true }, { settle: false });
      expect(await s.read()).toEqual({ pausedAll: true, pausedAutomatic: true, present: true });
    });

    it('fails closed when Redis cannot be read', async () => {
      const broken = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
      const s = new DispatchSwitches({ redis: broken, prefix: redis.prefix });
      const gate = new KillSwitchGate({ switches: s, spreadMs: 0 });
      expect((await gate.check(ctxFor(A, KNOWN, Date.now())))?.code).toBe('DISPATCH.KILL_SWITCH');
      broken.disconnect();
    });
  });
});
