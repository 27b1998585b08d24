/**
 * Day boundaries for the first-contact budget, in the tenant's IANA time zone
 * (default UTC). A day key is the local calendar date `YYYY-MM-DD`; the
 * budget resets when the key changes, whatever the zone's DST rules do.
 */
import { z } from 'zod';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-CA formats dates as YYYY-MM-DD; parts are read explicitly anyway.
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export const TimeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, { message: 'must be an IANA time zone such as "America/Sao_Paulo"' });

interface LocalParts {
  key: string;
  msOfDay: number;
}

function localParts(now: number, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(now))) parts[p.type] = p.value;
  const key = `${parts.year}-${parts.month}-${parts.day}`;
  const msOfDay =
    ((Number(parts.hour) * 60 + Number(parts.minute)) * 60 + Number(parts.second)) * 1000 +
    (((now % 1000) + 1000) % 1000);
  return { key, msOfDay };
}

function toMs(t: Date | number): number {
  return typeof t === 'number' ? t : t.getTime();
}

/** The local calendar date `YYYY-MM-DD` in `timeZone` at `now`. */
export function dayKey(now: Date | number, timeZone = 'UTC'): string {
  return localParts(toMs(now), timeZone).key;
}

export interface DayWindow {
  key: string;
  /** First instant (epoch ms) whose day key differs: the next local midnight. */
  endsAtMs: number;
}

/** Today's key and when it ends. DST-safe: the estimate is verified, then searched if off. */
export function dayWindow(now: Date | number, timeZone = 'UTC'): DayWindow {
  const t = toMs(now);
  const { key, msOfDay } = localParts(t, timeZone);
  const estimate = t + (86_400_000 - msOfDay);
  const differs = (x: number): boolean => localParts(x, timeZone).key !== key;
  if (differs(estimate) && !differs(estimate - 1)) return { key, endsAtMs: estimate };
  // A DST change between now and midnight: binary search the first instant of the next day.
  let lo = t; // same day
  let hi = t + 27 * 3_600_000; // surely the next day
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (differs(mid)) hi = mid;
    else lo = mid;
  }
  return { key, endsAtMs: hi };
}
