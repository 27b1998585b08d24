import { describe, expect, it } from 'vitest';
import { TimeZoneSchema, dayKey, dayWindow, isValidTimeZone } from './day-key.js';

const t = (iso: string) => Date.parse(iso);

describe('dayKey / dayWindow', () => {
  it('UTC by default', () => {
    expect(dayKey(t('2025-03-01T00:00:00Z'))).toBe('2025-03-01');
    expect(dayKey(t('2025-03-01T23:59:59.999Z'))).toBe('2025-03-01');
    expect(dayKey(new Date('2025-03-02T00:00:00Z'))).toBe('2025-03-02');
  });

  it('follows the tenant time zone', () => {
    // 02:00 UTC is still the previous evening in São Paulo (UTC-3) and already morning in Tokyo.
    const now = t('2025-03-02T02:00:00Z');
    expect(dayKey(now, 'America/Sao_Paulo')).toBe('2025-03-01');
    expect(dayKey(now, 'Asia/Tokyo')).toBe('2025-03-02');
    expect(dayKey(now, 'UTC')).toBe('2025-03-02');
  });

  it('ends at the next local midnight, and the next key differs', () => {
    const w = dayWindow(t('2025-03-01T15:30:00Z'), 'America/Sao_Paulo');
    expect(w).toEqual({ key: '2025-03-01', endsAtMs: t('2025-03-02T03:00:00Z') });
    expect(dayKey(w.endsAtMs, 'America/Sao_Paulo')).toBe('2025-03-02');
    expect(dayKey(w.endsAtMs - 1, 'America/Sao_Paulo')).toBe('2025-03-01');
    const u = dayWindow(t('2025-12-31T23:59:59.500Z'));
    expect(u).toEqual({ key: '2025-12-31', endsAtMs: t('2026-01-01T00:00:00Z') });
    expect(dayKey(u.endsAtMs)).toBe('2026-01-01');
  });

  it('copes with DST changes at midnight (historic São Paulo rules)', () => {
    // 2018-11-04: 00:00 local jumped to 01:00 (day starts at 03:00Z).
    const spring = dayWindow(t('2018-11-03T20:00:00Z'), 'America/Sao_Paulo');
    expect(spring.key).toBe('2018-11-03');
    expect(spring.endsAtMs).toBe(t('2018-11-04T03:00:00Z'));
    // 2019-02-17: 00:00 local fell back to 23:00 of the 16th; the 17th starts at 03:00Z.
    const fall = dayWindow(t('2019-02-16T20:00:00Z'), 'America/Sao_Paulo');
    expect(fall.key).toBe('2019-02-16');
    expect(fall.endsAtMs).toBe(t('2019-02-17T03:00:00Z'));
    expect(dayKey(fall.endsAtMs - 1, 'America/Sao_Paulo')).toBe('2019-02-16');
  });

  it('validates IANA zones', () => {
    expect(isValidTimeZone('Europe/Lisbon')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(TimeZoneSchema.safeParse('UTC').success).toBe(true);
    expect(TimeZoneSchema.safeParse('nope/nope').success).toBe(false);
  });
});
