/**
 * What a reminder firing should do. Pure: the worker loads the rows, calls
 * `decideFiring`, and records a `schedule_runs` row with the outcome. A
 * skipped firing is never sent through another session.
 */
import { AppError } from '../app-error.js';
import { quietHoursEnd, type QuietWindow } from './quiet-hours.js';

/** `schedule:{id}:{fireTime ISO ms}` — the outbox idempotency key, so a double firing sends once. */
export function idempotencyKeyFor(scheduleId: string, fireTime: Date): string {
  if (scheduleId === '' || !Number.isFinite(fireTime.getTime())) {
    throw new AppError('SCHEDULE.INVALID', 'Invalid schedule id or fire time', { details: { field: 'fireTime' } });
  }
  return `schedule:${scheduleId}:${fireTime.toISOString()}`;
}

/** Session statuses that mean the tenant's own number is linked (possibly reconnecting). */
export const LINKED_SESSION_STATUSES: ReadonlySet<string> = new Set(['connected', 'connecting', 'disconnected']);

export type SkipReason =
  | 'tenant_paused'
  | 'session_not_linked'
  | 'automatic_paused'
  | 'inactive'
  | 'outside_window'
  | 'tenant_disabled';

export type FiringDecision =
  | { action: 'send' }
  | { action: 'hold'; untilMs: number; reason: 'quiet_hours' }
  | { action: 'skip'; reason: SkipReason };

export interface FiringInput {
  schedule: {
    active: boolean;
    startAt: Date | null;
    endAt: Date | null;
    /** Quiet window in the schedule's zone, or null for none. */
    quiet: (QuietWindow & { timezone: string }) | null;
  };
  tenant: { paused: boolean; status: string };
  /** The tenant's own session; null when it has none. */
  session: { status: string } | null;
  /** The global kill switch for automatic sends. */
  automaticPaused: boolean;
  now: Date;
}

/**
 * Order: schedule state first (inactive, outside its start/end window), then
 * tenant (disabled, paused), the kill switch, the tenant's session; only a
 * firing that could be sent now is held for quiet hours (re-decide when held
 * time comes).
 */
export function decideFiring(input: FiringInput): FiringDecision {
  const { schedule, tenant, session, automaticPaused, now } = input;
  const t = now.getTime();
  if (!schedule.active) return { action: 'skip', reason: 'inactive' };
  if ((schedule.startAt && t < schedule.startAt.getTime()) || (schedule.endAt && t >= schedule.endAt.getTime())) {
    return { action: 'skip', reason: 'outside_window' };
  }
  if (tenant.status !== 'active') return { action: 'skip', reason: 'tenant_disabled' };
  if (tenant.paused) return { action: 'skip', reason: 'tenant_paused' };
  if (automaticPaused) return { action: 'skip', reason: 'automatic_paused' };
  if (!session || !LINKED_SESSION_STATUSES.has(session.status)) return { action: 'skip', reason: 'session_not_linked' };
  if (schedule.quiet) {
    const until = quietHoursEnd(now, schedule.quiet.timezone, schedule.quiet).getTime();
    if (until > t) return { action: 'hold', untilMs: until, reason: 'quiet_hours' };
  }
  return { action: 'send' };
}
