import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TENANT_LIMITS,
  TenantLimits,
  TenantLimitsPatch,
  WARMUP_SCHEDULE,
  effectiveLimits,
  paceIntervalMs,
  warmupStageAt,
} from './tenant-limits.js';

const DAY = 86_400_000;
const linkedAt = new Date('2025-03-01T12:00:00Z');
const at = (days: number) => new Date(linkedAt.getTime() + days * DAY);

describe('TenantLimits', () => {
  it('fills safe defaults', () => {
    expect(TenantLimits.parse({})).toEqual(DEFAULT_TENANT_LIMITS);
    expect(DEFAULT_TENANT_LIMITS).toMatchObject({ ratePerMinute: 4, burst: 3, recipientSpacingMs: 6000 });
  });

  it.each([
    ['ratePerMinute', 0],
    ['ratePerMinute', 61],
    ['ratePerMinute', -1],
    ['burst', 0],
    ['burst', 1.5],
    ['burst', 21],
    ['recipientSpacingMs', -1],
    ['recipientSpacingMs', 86_400_001],
    ['firstContactDailyBudget', 0],
    ['firstContactDailyBudget', 1001],
    ['jitterMs', 60_001],
    ['warmup', 'yes'],
  ])('refuses %s = %s', (field, value) => {
    expect(TenantLimits.safeParse({ [field]: value }).success).toBe(false);
  });

  it('accepts the bounds and fractional rates', () => {
    expect(TenantLimits.parse({ ratePerMinute: 0.1, burst: 20, recipientSpacingMs: 0, jitterMs: 0 }).ratePerMinute).toBe(0.1);
    expect(TenantLimits.parse({ ratePerMinute: 60, firstContactDailyBudget: 1000 }).ratePerMinute).toBe(60);
  });

  it('refuses unknown keys; the patch schema fills no defaults', () => {
    expect(TenantLimits.safeParse({ rate: 3 }).success).toBe(false);
    expect(TenantLimitsPatch.parse({ burst: 5 })).toEqual({ burst: 5 });
    expect(TenantLimitsPatch.safeParse({ burst: 0 }).success).toBe(false);
    expect(TenantLimitsPatch.safeParse({ nope: 1 }).success).toBe(false);
  });

  it('interval rounds up so the rate is never exceeded', () => {
    expect(paceIntervalMs({ ratePerMinute: 4 })).toBe(15_000);
    expect(paceIntervalMs({ ratePerMinute: 7 })).toBe(8572);
    expect(paceIntervalMs({ ratePerMinute: 20 / 60 })).toBe(180_000);
  });
});

describe('effectiveLimits (warm-up)', () => {
  const limits = TenantLimits.parse({});

  it.each([
    [0, 20 / 60, 2, 10],
    [1.99, 20 / 60, 2, 10],
    [2, 40 / 60, 3, 20],
    [3.5, 40 / 60, 3, 20],
    [4, 1, 3, 35],
    [6.99, 1, 3, 35],
    [7, 4, 3, 50],
    [400, 4, 3, 50],
  ])('day %s: %s/min, burst %s, %s first contacts', (day, rate, burst, budget) => {
    const e = effectiveLimits(limits, linkedAt, at(day));
    expect(e.ratePerMinute).toBeCloseTo(rate, 10);
    expect(e.burst).toBe(burst);
    expect(e.firstContactDailyBudget).toBe(budget);
    expect(e.recipientSpacingMs).toBe(limits.recipientSpacingMs);
    expect(e.jitterMs).toBe(limits.jitterMs);
  });

  it('never raises a configured limit', () => {
    const low = TenantLimits.parse({ ratePerMinute: 0.2, burst: 1, firstContactDailyBudget: 5 });
    expect(effectiveLimits(low, linkedAt, at(0))).toEqual(low);
  });

  it('is off when disabled, when not linked, and clamps a future linkedAt to day 0', () => {
    expect(effectiveLimits(TenantLimits.parse({ warmup: false }), linkedAt, at(0)).ratePerMinute).toBe(4);
    expect(effectiveLimits(limits, null, at(0)).ratePerMinute).toBe(4);
    expect(warmupStageAt(limits, linkedAt, at(-1))).toBe(WARMUP_SCHEDULE[0]);
    expect(effectiveLimits(limits, linkedAt, at(0).getTime()).burst).toBe(2);
  });

  it('schedule is contiguous and rising', () => {
    for (let i = 1; i < WARMUP_SCHEDULE.length; i++) {
      const prev = WARMUP_SCHEDULE[i - 1]!;
      const cur = WARMUP_SCHEDULE[i]!;
      expect(cur.fromDay).toBe(prev.untilDay);
      expect(cur.ratePerHour).toBeGreaterThan(prev.ratePerHour);
      expect(cur.firstContactsPerDay).toBeGreaterThan(prev.firstContactsPerDay);
    }
  });
});

describe('limitsFromStored', () => {
  it('fills defaults and drops unknown or out-of-bounds fields', async () => {
    const { limitsFromStored, DEFAULT_TENANT_LIMITS: D } = await import('./tenant-limits.js');
    expect(limitsFromStored(null)).toEqual({ ...D });
    expect(limitsFromStored({ ratePerMinute: 2, burst: 999, bogus: 1 })).toEqual({ ...D, ratePerMinute: 2 });
    expect(limitsFromStored([1])).toEqual({ ...D });
  });
});
