/**
 * Thin helpers over BullMQ Job Schedulers for reminder schedules. Postgres
 * (`reminder_schedules`) is the source of truth; these upsert one scheduler
 * per row (`reminder:{scheduleId}`) and reconcile the queue against the rows
 * when a worker starts. Jobs carry ids only — never a phone number or text.
 * The queue is the app's (`REMINDERS_QUEUE_NAME` under the deployment prefix).
 */
import type { Job, JobSchedulerJson, Queue } from 'bullmq';
import { AppError } from '@wa-dispatch/core';

export const REMINDER_JOB_NAME = 'reminder';
export const REMINDER_SCHEDULER_PREFIX = 'reminder:';

export interface ReminderJobData {
  scheduleId: string;
  chatId: string;
}

/** The subset of a BullMQ Queue these helpers use. */
export type ReminderQueue = Pick<Queue, 'upsertJobScheduler' | 'removeJobScheduler' | 'getJobSchedulers'>;

export interface ReminderSchedulerSpec {
  scheduleId: string;
  chatId: bigint | string;
  cron?: string | null;
  intervalMs?: number | null;
  /** IANA zone; applies to `cron` only (an interval has no zone). */
  tz: string;
  startAt?: Date | null;
  endAt?: Date | null;
}

export interface ReminderScheduleRow extends ReminderSchedulerSpec {
  active: boolean;
}

export interface ReconcileResult {
  created: number;
  removed: number;
  updated: number;
}

export function reminderSchedulerId(scheduleId: string): string {
  return `${REMINDER_SCHEDULER_PREFIX}${scheduleId}`;
}

/**
 * The scheduled fire time of a job produced by a reminder scheduler (its id is
 * `repeat:{schedulerId}:{millis}`), for `idempotencyKeyFor`. Falls back to
 * timestamp + delay.
 */
export function reminderFireTime(job: Pick<Job, 'id' | 'timestamp' | 'delay'>): Date {
  const last = job.id?.split(':').pop();
  const ms = last !== undefined && /^\d+$/.test(last) ? Number(last) : job.timestamp + (job.delay ?? 0);
  return new Date(ms);
}

interface RepeatSpec {
  pattern?: string;
  every?: number;
  tz?: string;
  startDate?: number;
  endDate?: number;
}

function repeatSpec(spec: ReminderSchedulerSpec): RepeatSpec {
  const hasCron = spec.cron !== undefined && spec.cron !== null && spec.cron !== '';
  const hasEvery = spec.intervalMs !== undefined && spec.intervalMs !== null;
  if (hasCron === hasEvery) {
    throw new AppError('SCHEDULE.INVALID', 'A schedule needs exactly one of cron or intervalMs', {
      details: { scheduleId: spec.scheduleId },
    });
  }
  const out: RepeatSpec = hasCron ? { pattern: spec.cron as string, tz: spec.tz } : { every: spec.intervalMs as number };
  if (spec.startAt) out.startDate = spec.startAt.getTime();
  if (spec.endAt) out.endDate = spec.endAt.getTime();
  return out;
}

function jobData(spec: ReminderSchedulerSpec): ReminderJobData {
  return { scheduleId: spec.scheduleId, chatId: spec.chatId.toString() };
}

function ended(spec: ReminderSchedulerSpec, now: number): boolean {
  return spec.endAt !== undefined && spec.endAt !== null && spec.endAt.getTime() <= now;
}

/**
 * Creates or replaces the schedule's scheduler. A schedule whose end is past
 * has its scheduler removed instead (BullMQ refuses an end date in the past);
 * returns whether a scheduler now exists (false also when no run is left
 * before `endAt`).
 */
export async function upsertReminderScheduler(queue: ReminderQueue, spec: ReminderSchedulerSpec): Promise<boolean> {
  const repeat = repeatSpec(spec);
  if (ended(spec, Date.now())) {
    await queue.removeJobScheduler(reminderSchedulerId(spec.scheduleId));
    return false;
  }
  const next: unknown = await queue.upsertJobScheduler(reminderSchedulerId(spec.scheduleId), repeat, {
    name: REMINDER_JOB_NAME,
    data: jobData(spec),
    opts: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { age: 3_600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3_600 },
    },
  });
  // BullMQ stores nothing (and returns no job) when no run falls before endDate.
  return next !== undefined && next !== null;
}

export async function removeReminderScheduler(queue: ReminderQueue, scheduleId: string): Promise<boolean> {
  return queue.removeJobScheduler(reminderSchedulerId(scheduleId));
}

function differs(existing: JobSchedulerJson, spec: ReminderSchedulerSpec): boolean {
  const want = repeatSpec(spec);
  const data = existing.template?.data as Partial<ReminderJobData> | undefined;
  return (
    (existing.pattern ?? undefined) !== want.pattern ||
    (existing.every ?? undefined) !== want.every ||
    (want.pattern !== undefined && (existing.tz ?? undefined) !== want.tz) ||
    (existing.startDate ?? undefined) !== want.startDate ||
    (existing.endDate ?? undefined) !== want.endDate ||
    existing.name !== REMINDER_JOB_NAME ||
    data?.scheduleId !== spec.scheduleId ||
    data?.chatId !== spec.chatId.toString()
  );
}

/**
 * Makes the queue's `reminder:*` schedulers match `rows` (all schedule rows,
 * or at least all active ones): a scheduler without an active, unexpired row
 * is removed; an active row without a scheduler is created; a scheduler whose
 * cron/every/tz/start/end/data changed is re-upserted. Other schedulers on the
 * queue are left alone.
 */
export async function reconcileReminderSchedulers(
  queue: ReminderQueue,
  rows: Iterable<ReminderScheduleRow>,
): Promise<ReconcileResult> {
  const now = Date.now();
  const wanted = new Map<string, ReminderScheduleRow>();
  for (const row of rows) {
    if (row.active && !ended(row, now)) wanted.set(reminderSchedulerId(row.scheduleId), row);
  }
  const existing = new Map<string, JobSchedulerJson>();
  for (const s of await queue.getJobSchedulers(0, -1)) {
    if (s.key.startsWith(REMINDER_SCHEDULER_PREFIX)) existing.set(s.key, s);
  }
  const result: ReconcileResult = { created: 0, removed: 0, updated: 0 };
  for (const key of existing.keys()) {
    if (!wanted.has(key) && (await queue.removeJobScheduler(key))) result.removed++;
  }
  for (const [key, row] of wanted) {
    const current = existing.get(key);
    if (current === undefined) {
      if (await upsertReminderScheduler(queue, row)) result.created++;
    } else if (differs(current, row)) {
      if (await upsertReminderScheduler(queue, row)) result.updated++;
    }
  }
  return result;
}
