import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { GCRA_CASES, dayWindow, paceIntervalMs, type TenantLimits } from '@wa-dispatch/core';
import { keySlot } from '../test-support/cluster-slot.js';
import { TenantPacer, type PaceCheck, type PaceDecision } from './tenant-pacer.js';
import { dumpPrefix, limits, messageId } from './test-support/fixtures.js';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
const DAY = { key: '2025-03-01', endsAtMs: Date.UTC(2025, 2, 2) };
const A = 1001n;
const B = -100200300n;
const PHONE = '5511912345678';

describe('TenantPacer (tenant-pace.lua)', () => {
  let redis: TestRedis;
  let now = T0;
  let pacer: TenantPacer;
  let real: TenantPacer;

  const check = (over: Partial<PaceCheck> & { limits: TenantLimits }): Promise<PaceDecision> =>
    pacer.check({ chatId: A, shard: 3, recipient: PHONE, dayKey: DAY.key, dayEndsAtMs: DAY.endsAtMs, ...over });

  beforeAll(async () => {
    redis = await createTestRedis('queue-pacer');
    pacer = new TenantPacer({ redis: redis.client, prefix: redis.prefix, nowForTests: () => now, ticketGraceMs: 10_000 });
    real = new TenantPacer({ redis: redis.client, prefix: redis.prefix });
  });
  beforeEach(async () => {
    now = T0;
    await redis.wipe();
  });
  afterAll(async () => {
    await redis.close();
  });

  describe('GCRA semantics match core gcra() on the shared table', () => {
    it.each(GCRA_CASES)('$name', async (c) => {
      await redis.wipe();
      const l = limits({ ratePerMinute: 60_000 / c.intervalMs, burst: c.burst });
      expect(paceIntervalMs(l)).toBe(c.intervalMs);
      const tatKey = pacer.keys.tat(A, 3);
      if (c.tatMs > 0) await redis.client.set(tatKey, String(c.tatMs), 'PX', 60_000);
      now = c.now;
      const d = await check({ limits: l });
      expect(d.allowed).toBe(c.expect.allowed);
      if (!d.allowed) expect(d.retryAtMs).toBe(c.expect.retryAtMs);
      const stored = Number((await redis.client.get(tatKey)) ?? '0');
      expect(stored).toBe(c.expect.allowed ? c.expect.newTat : c.tatMs);
    });
  });

  it('a burst allows exactly `burst` at once, then one per interval (simulated time, re-check at retryAt)', async () => {
    const l = limits({ ratePerMinute: 600, burst: 3 }); // 100 ms
    const tickets = Array.from({ length: 10 }, () => messageId());
    const d0 = await Promise.all(tickets.map((t) => check({ limits: l, ticket: t })));
    expect(d0.filter((d) => d.allowed)).toHaveLength(3);
    // Drain: a fake delayed queue, each job re-checked exactly at its promised time.
    const queue = d0.flatMap((d, i) => (d.allowed ? [] : [{ at: d.retryAtMs, t: tickets[i]! }]));
    expect(queue.map((q) => q.at).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7].map((k) => T0 + k * 100));
    const sends: number[] = [T0, T0, T0];
    let touches = 10;
    while (queue.length > 0) {
      queue.sort((x, y) => x.at - y.at);
      const job = queue.shift()!;
      now = job.at;
      touches += 1;
      const d = await check({ limits: l, ticket: job.t });
      if (d.allowed) sends.push(now);
      else queue.push({ at: d.retryAtMs, t: job.t });
    }
    expect(sends).toEqual([T0, T0, T0, ...[1, 2, 3, 4, 5, 6, 7].map((k) => T0 + k * 100)]);
    expect(touches / 10).toBeLessThanOrEqual(1.7 + 1e-9); // 3 sent at once, 7 touched twice
  });

  it('real time, Redis TIME: 20/s burst 3 never exceeds rate + burst in any sliding 1 s window', async () => {
    const l = limits({ ratePerMinute: 1200, burst: 3 }); // 50 ms
    const sendTimes: number[] = [];
    let touches = 0;
    const run = async (ticket: string): Promise<void> => {
      for (;;) {
        touches += 1;
        const d = await real.check({ chatId: B, shard: 5, recipient: PHONE, limits: l, dayKey: DAY.key, dayEndsAtMs: Date.now() + 86_400_000, ticket });
        if (d.allowed) {
          sendTimes.push(d.atMs);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.max(0, d.retryAtMs - Date.now())));
      }
    };
    const n = 40;
    await Promise.all(Array.from({ length: n }, () => run(messageId())));
    sendTimes.sort((x, y) => x - y);
    expect(sendTimes).toHaveLength(n);
    let j = 0;
    let worst = 0;
    for (let i = 0; i < sendTimes.length; i++) {
      while (sendTimes[i]! - sendTimes[j]! >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(20 + 3);
    // Loose: about two touches per parked message, never a herd.
    console.log(`real-time pacing: worst 1 s window ${worst}, touches/message ${(touches / n).toFixed(2)}`);
    expect(touches / n).toBeLessThan(3);
    expect(await real.parkedCount(B, 5)).toBe(0);
  });

  it('50 parked jobs of one tenant get distinct retry times exactly one interval apart, each sent on its first wake', async () => {
    const l = limits({ ratePerMinute: 4, burst: 3 }); // 15 s
    const I = 15_000;
    const tickets = Array.from({ length: 53 }, () => messageId());
    const ds = await Promise.all(tickets.map((t) => check({ limits: l, ticket: t })));
    const refused = ds.flatMap((d, i) => (d.allowed ? [] : [{ at: d.retryAtMs, t: tickets[i]! }]));
    expect(ds.filter((d) => d.allowed)).toHaveLength(3);
    expect(refused).toHaveLength(50);
    const times = refused.map((r) => r.at).sort((x, y) => x - y);
    expect(new Set(times).size).toBe(50);
    times.forEach((t, k) => expect(t).toBe(T0 + (k + 1) * I));
    expect(await pacer.parkedCount(A, 3)).toBe(50);

    // A fresh job arriving now queues behind the line.
    const late = await check({ limits: l, ticket: messageId() });
    expect(late).toMatchObject({ allowed: false, reason: 'rate', retryAtMs: T0 + 51 * I });

    // Each parked job woken at its time passes on that wake (2 touches per parked message).
    refused.sort((x, y) => x.at - y.at);
    for (const r of refused) {
      now = r.at;
      expect((await check({ limits: l, ticket: r.t })).allowed).toBe(true);
    }
  });

  it('a holder that wakes a little early keeps its place; one whose slot was taken goes to the end', async () => {
    const l = limits({ ratePerMinute: 60, burst: 1 }); // 1 s
    const [t1, t2, t3] = [messageId(), messageId(), messageId()];
    expect((await check({ limits: l, ticket: t1 })).allowed).toBe(true);
    const r2 = await check({ limits: l, ticket: t2 });
    const r3 = await check({ limits: l, ticket: t3 });
    expect([r2, r3].map((d) => (d.allowed ? 0 : d.retryAtMs))).toEqual([T0 + 1000, T0 + 2000]);
    // t2 wakes 5 ms early (clock skew): retry exactly at its slot, not behind t3.
    now = T0 + 995;
    expect(await check({ limits: l, ticket: t2 })).toMatchObject({ allowed: false, retryAtMs: T0 + 1000 });
    // t2 wakes 300 ms late; t3 then wakes on time, finds its slot taken, goes to the end.
    now = T0 + 1300;
    expect((await check({ limits: l, ticket: t2 })).allowed).toBe(true);
    now = T0 + 2000;
    expect(await check({ limits: l, ticket: t3 })).toMatchObject({ allowed: false, retryAtMs: T0 + 2300 });
  });

  it('lowering the rate mid-line does not make the parked jobs wake together', async () => {
    const fast = limits({ ratePerMinute: 60, burst: 1 });
    const slow = limits({ ratePerMinute: 6, burst: 1 }); // 10 s
    const tickets = Array.from({ length: 6 }, () => messageId());
    const ds = [];
    for (const t of tickets) ds.push(await check({ limits: fast, ticket: t }));
    const line = ds.flatMap((d, i) => (d.allowed ? [] : [{ at: d.retryAtMs, t: tickets[i]! }]));
    expect(line).toHaveLength(5);
    const next: number[] = [];
    for (const job of line) {
      now = job.at;
      const d = await check({ limits: slow, ticket: job.t });
      if (!d.allowed) next.push(d.retryAtMs);
    }
    expect(new Set(next).size).toBe(next.length);
    expect(next.length).toBeGreaterThan(2);
  });

  it('tickets long past their wake time are dropped', async () => {
    const l = limits({ ratePerMinute: 60, burst: 1 });
    await check({ limits: l, ticket: messageId() });
    await check({ limits: l, ticket: messageId() }); // parked at T0 + 1000, holder never comes back
    expect(await pacer.parkedCount(A, 3)).toBe(1);
    now = T0 + 1000 + 10_001; // past the 10 s grace
    expect((await check({ limits: l, ticket: messageId() })).allowed).toBe(true);
    expect(await pacer.parkedCount(A, 3)).toBe(0);
  });

  it('two tenants do not affect each other (same shard and other shard)', async () => {
    const l = limits({ ratePerMinute: 1, burst: 2 });
    for (let i = 0; i < 2; i++) expect((await check({ limits: l, ticket: messageId() })).allowed).toBe(true);
    expect((await check({ limits: l, ticket: messageId() })).allowed).toBe(false);
    expect((await check({ chatId: B, limits: l, ticket: messageId() })).allowed).toBe(true);
    expect((await check({ chatId: B, shard: 4, limits: l })).allowed).toBe(true);
    expect((await check({ chatId: 1002n, limits: l })).allowed).toBe(true);
  });

  it('spaces messages to the same recipient, not to others', async () => {
    const l = limits({ ratePerMinute: 60, burst: 10, recipientSpacingMs: 6000 });
    expect((await check({ limits: l })).allowed).toBe(true);
    now = T0 + 1000;
    expect(await check({ limits: l })).toMatchObject({ allowed: false, reason: 'recipient', retryAtMs: T0 + 6000 });
    expect((await check({ limits: l, recipient: '5511987654321' })).allowed).toBe(true);
    // The Brazilian legacy (no 9th digit) form is the same recipient.
    expect(await check({ limits: l, recipient: '551112345678' })).toMatchObject({ allowed: true });
    expect(await check({ limits: l, recipient: '551112345678' })).toMatchObject({ allowed: false, reason: 'recipient' });
    now = T0 + 6000;
    expect((await check({ limits: l })).allowed).toBe(true);
    const ttl = await redis.client.pttl(pacer.keys.recipient(A, 3, pacer.hashOf(A, PHONE)));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(6000);
  });

  it('first-contact budget exhausts, known recipients are not first contacts, and the next day resets', async () => {
    const l = limits({ ratePerMinute: 60, burst: 20, firstContactDailyBudget: 2 });
    const p = (n: number) => `55119000000${String(n).padStart(2, '0')}`;
    expect(await check({ limits: l, recipient: p(1) })).toMatchObject({ allowed: true, firstContact: true });
    expect(await check({ limits: l, recipient: p(2) })).toMatchObject({ allowed: true, firstContact: true });
    const r3 = await check({ limits: l, recipient: p(3), ticket: messageId() });
    expect(r3).toMatchObject({ allowed: false, reason: 'first_contact', retryAtMs: DAY.endsAtMs });
    // Turned-away jobs are spread over the next day, one interval apart.
    expect(await check({ limits: l, recipient: p(4) })).toMatchObject({ retryAtMs: DAY.endsAtMs + 1000 });
    // Known recipients still go (not first contacts).
    expect(await check({ limits: l, recipient: p(1) })).toMatchObject({ allowed: true, firstContact: false });
    expect(await pacer.isKnownRecipient(A, 3, p(1))).toBe(true);
    expect(await pacer.isKnownRecipient(A, 3, p(3))).toBe(false);
    // Exempt (e.g. they wrote first) goes and becomes known.
    expect(await check({ limits: l, recipient: p(5), firstContactExempt: true })).toMatchObject({ allowed: true, firstContact: true });
    expect(await pacer.isKnownRecipient(A, 3, p(5))).toBe(true);
    // Remembered recipients are known.
    await pacer.rememberRecipients(A, 3, [p(6)]);
    expect(await check({ limits: l, recipient: p(6) })).toMatchObject({ allowed: true, firstContact: false });
    // Another tenant has its own budget and known set.
    expect(await check({ chatId: B, limits: l, recipient: p(3) })).toMatchObject({ allowed: true, firstContact: true });
    expect(await pacer.isKnownRecipient(B, 3, p(1))).toBe(false);

    const next = dayWindow(DAY.endsAtMs + 10, 'UTC');
    expect(next.key).not.toBe(DAY.key);
    now = DAY.endsAtMs;
    const nextDay = { dayKey: next.key, dayEndsAtMs: next.endsAtMs };
    expect(await check({ limits: l, recipient: p(3), ...nextDay })).toMatchObject({ allowed: true, firstContact: true });
    expect(await check({ limits: l, recipient: p(4), ...nextDay })).toMatchObject({ allowed: true, firstContact: true });
    expect(await check({ limits: l, recipient: p(7), ...nextDay })).toMatchObject({ allowed: false, reason: 'first_contact', retryAtMs: next.endsAtMs });
    const fcTtl = await redis.client.pttl(pacer.keys.firstContacts(A, 3, next.key));
    expect(fcTtl).toBeGreaterThan(0);
  });

  it('stores no phone number anywhere, keys expire except the known set, and one call stays in one slot', async () => {
    const l = limits({ ratePerMinute: 60, burst: 1, recipientSpacingMs: 6000, firstContactDailyBudget: 1 });
    const phones = ['5511912345678', '5521987654321', '14155550123'];
    for (const ph of phones) await check({ limits: l, recipient: ph, ticket: messageId() });
    await check({ limits: l, recipient: phones[0]!, ticket: messageId() });
    const dump = await dumpPrefix(redis.client, redis.prefix);
    expect(dump.length).toBeGreaterThan(3);
    for (const { key, value } of dump) {
      for (const ph of phones) {
        for (const needle of [ph, ph.slice(-8), ph.slice(2)]) {
          expect(key).not.toContain(needle);
          expect(value).not.toContain(needle);
        }
      }
      const ttl = await redis.client.pttl(key);
      if (key === pacer.keys.known(A, 3)) expect(ttl).toBe(-1);
      else expect(ttl).toBeGreaterThan(0);
    }
    const k = pacer.keys;
    const rh = pacer.hashOf(A, PHONE);
    const slots = new Set(
      [k.tat(A, 3), k.recipient(A, 3, rh), k.known(A, 3), k.firstContacts(A, 3, DAY.key), k.park(A, 3), k.firstContactQueue(A, 3, DAY.key)].map(
        keySlot,
      ),
    );
    expect(slots.size).toBe(1);
    expect(rh).toMatch(/^[0-9a-f]{32}$/);
    expect(pacer.hashOf(B, PHONE)).not.toBe(rh);
  });
});
