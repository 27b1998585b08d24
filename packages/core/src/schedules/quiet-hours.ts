/**
 * Quiet hours: no sends inside [startMin, endMin) local minutes after
 * midnight in an IANA zone. A window with startMin > endMin crosses midnight
 * (e.g. 22:00–07:00); startMin === endMin is an empty window. DST is handled
 * by reading the local wall clock through Intl at each instant.
 */
import { AppError } from '../app-error.js';

export interface QuietWindow {
  startMin: number;
  endMin: number;
}

const MINUTE_MS = 60_000;
const DAY_MIN = 1_440;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

function checkWindow(w: QuietWindow): void {
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 0 && n < DAY_MIN;
  if (!ok(w.startMin) || !ok(w.endMin)) {
    throw new AppError('SCHEDULE.INVALID', 'Quiet hours must be minutes in 0..1439', { details: { field: 'quietHours' } });
  }
}

/** Local minutes after midnight of `at` in `timeZone`. */
export function localMinuteOfDay(at: Date | number, timeZone: string): number {
  let hour = 0;
  let minute = 0;
  for (const p of formatterFor(timeZone).formatToParts(new Date(at))) {
    if (p.type === 'hour') hour = Number(p.value) % 24;
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return hour * 60 + minute;
}

function minuteIn(m: number, w: QuietWindow): boolean {
  if (w.startMin === w.endMin) return false;
  return w.startMin < w.endMin ? m >= w.startMin && m < w.endMin : m >= w.startMin || m < w.endMin;
}

export function inQuietHours(at: Date, timeZone: string, window: QuietWindow): boolean {
  checkWindow(window);
  return minuteIn(localMinuteOfDay(at, timeZone), window);
}

/**
 * When sending may resume: `at` itself if it is outside the window, else the
 * first instant (a whole minute) whose local time is outside it.
 */
export function quietHoursEnd(at: Date, timeZone: string, window: QuietWindow): Date {
  checkWindow(window);
  const t = at.getTime();
  const m = localMinuteOfDay(t, timeZone);
  if (!minuteIn(m, window)) return new Date(t);
  const inside = (x: number): boolean => minuteIn(localMinuteOfDay(x, timeZone), window);
  const floor = Math.floor(t / MINUTE_MS) * MINUTE_MS;
  // Fast path: no offset change before the end of the window.
  const estimate = floor + ((window.endMin - m + DAY_MIN) % DAY_MIN) * MINUTE_MS;
  if (estimate > t && !inside(estimate) && inside(estimate - MINUTE_MS)) return new Date(estimate);
  // A DST change inside the window: walk minute by minute (at most ~a day).
  for (let x = floor + MINUTE_MS; x <= floor + 26 * 60 * MINUTE_MS; x += MINUTE_MS) {
    if (!inside(x)) return new Date(x);
  }
  /* c8 ignore next */
  throw new AppError('INTERNAL', 'Quiet hours never end');
}
