import { describe, expect, it } from 'vitest';
import { AppError } from '../app-error.js';
import { inQuietHours, localMinuteOfDay, quietHoursEnd } from './quiet-hours.js';

const NIGHT = { startMin: 22 * 60, endMin: 7 * 60 }; // 22:00–07:00, crosses midnight
const LUNCH = { startMin: 12 * 60, endMin: 13 * 60 + 30 };
const d = (iso: string): Date => new Date(iso);

describe('inQuietHours', () => {
  it('America/Sao_Paulo (UTC-3), window crossing midnight', () => {
    const tz = 'America/Sao_Paulo';
    expect(inQuietHours(d('2026-06-10T00:59:00Z'), tz, NIGHT)).toBe(false); // 21:59
    expect(inQuietHours(d('2026-06-10T01:00:00Z'), tz, NIGHT)).toBe(true); // 22:00
    expect(inQuietHours(d('2026-06-10T09:59:59Z'), tz, NIGHT)).toBe(true); // 06:59:59
    expect(inQuietHours(d('2026-06-10T10:00:00Z'), tz, NIGHT)).toBe(false); // 07:00
  });
  it('same-day window, UTC; empty window never quiet', () => {
    expect(inQuietHours(d('2026-06-10T12:00:00Z'), 'UTC', LUNCH)).toBe(true);
    expect(inQuietHours(d('2026-06-10T13:30:00Z'), 'UTC', LUNCH)).toBe(false);
    expect(inQuietHours(d('2026-06-10T11:59:00Z'), 'UTC', LUNCH)).toBe(false);
    expect(inQuietHours(d('2026-06-10T12:00:00Z'), 'UTC', { startMin: 600, endMin: 600 })).toBe(false);
  });
  it('Asia/Kolkata (+05:30)', () => {
    expect(localMinuteOfDay(d('2026-06-10T16:30:00Z'), 'Asia/Kolkata')).toBe(22 * 60);
    expect(inQuietHours(d('2026-06-10T16:30:00Z'), 'Asia/Kolkata', NIGHT)).toBe(true);
    expect(inQuietHours(d('2026-06-10T16:29:00Z'), 'Asia/Kolkata', NIGHT)).toBe(false);
  });
  it('Europe/Berlin across DST', () => {
    // winter: CET (+1); summer: CEST (+2)
    expect(inQuietHours(d('2026-01-10T21:00:00Z'), 'Europe/Berlin', NIGHT)).toBe(true);
    expect(inQuietHours(d('2026-07-10T21:00:00Z'), 'Europe/Berlin', NIGHT)).toBe(true);
    expect(inQuietHours(d('2026-07-10T19:59:00Z'), 'Europe/Berlin', NIGHT)).toBe(false);
    expect(inQuietHours(d('2026-01-10T20:59:00Z'), 'Europe/Berlin', NIGHT)).toBe(false);
  });
  it('rejects out-of-range windows', () => {
    expect(() => inQuietHours(new Date(), 'UTC', { startMin: -1, endMin: 10 })).toThrow(AppError);
    expect(() => inQuietHours(new Date(), 'UTC', { startMin: 0, endMin: 1440 })).toThrow(AppError);
  });
});

describe('quietHoursEnd', () => {
  it('outside the window: now', () => {
    const at = d('2026-06-10T15:00:00Z');
    expect(quietHoursEnd(at, 'America/Sao_Paulo', NIGHT)).toEqual(at);
  });
  it('America/Sao_Paulo: 23:15 -> 07:00 next day', () => {
    expect(quietHoursEnd(d('2026-06-10T02:15:30Z'), 'America/Sao_Paulo', NIGHT)).toEqual(d('2026-06-10T10:00:00Z'));
  });
  it('after midnight, same day', () => {
    expect(quietHoursEnd(d('2026-06-10T06:00:00Z'), 'America/Sao_Paulo', NIGHT)).toEqual(d('2026-06-10T10:00:00Z'));
  });
  it('UTC same-day window', () => {
    expect(quietHoursEnd(d('2026-06-10T12:10:00Z'), 'UTC', LUNCH)).toEqual(d('2026-06-10T13:30:00Z'));
  });
  it('Asia/Kolkata: 22:30 IST -> 08:15 IST', () => {
    const w = { startMin: 21 * 60 + 30, endMin: 8 * 60 + 15 };
    expect(quietHoursEnd(d('2026-06-01T17:00:00Z'), 'Asia/Kolkata', w)).toEqual(d('2026-06-02T02:45:00Z'));
  });
  it('Europe/Berlin spring forward (2026-03-29 02:00 CET -> 03:00 CEST)', () => {
    // 00:00 CET on the DST day; 07:00 CEST is 05:00Z (not 06:00Z)
    const end = quietHoursEnd(d('2026-03-28T23:00:00Z'), 'Europe/Berlin', NIGHT);
    expect(end).toEqual(d('2026-03-29T05:00:00Z'));
    // window ending inside the skipped hour (02:30) ends at 03:00 CEST = 01:00Z
    expect(quietHoursEnd(d('2026-03-28T23:00:00Z'), 'Europe/Berlin', { startMin: 1320, endMin: 150 })).toEqual(
      d('2026-03-29T01:00:00Z'),
    );
  });
  it('Europe/Berlin fall back (2026-10-25 03:00 CEST -> 02:00 CET)', () => {
    // 00:00 CEST = 22:00Z the day before; 07:00 CET = 06:00Z
    expect(quietHoursEnd(d('2026-10-24T22:00:00Z'), 'Europe/Berlin', NIGHT)).toEqual(d('2026-10-25T06:00:00Z'));
  });
  it('the result is outside and the minute before inside', () => {
    for (const tz of ['UTC', 'America/Sao_Paulo', 'Europe/Berlin', 'Asia/Kolkata']) {
      for (let h = 0; h < 48; h += 5) {
        const at = new Date(Date.UTC(2026, 2, 28) + h * 3_600_000 + 17_000);
        const end = quietHoursEnd(at, tz, NIGHT);
        expect(inQuietHours(end, tz, NIGHT)).toBe(false);
        if (end.getTime() !== at.getTime()) expect(inQuietHours(new Date(end.getTime() - 60_000), tz, NIGHT)).toBe(true);
      }
    }
  });
});
