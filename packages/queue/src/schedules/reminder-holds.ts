/**
 * A reminder firing held by quiet hours comes back as a one-off delayed job
 * on the reminders queue, carrying the ORIGINAL fire time so the second
 * decision uses the same idempotency key `schedule:{id}:{fireTime}`. Its job
 * id is deterministic (schedule, fire time, hold number), so two firings of
 * the same fire time hold once: BullMQ ignores an add whose id exists.
 * Data is ids and times only — never a phone number or text.
 */
import type { Queue } from 'bullmq';
import { AppError } from '@wa-dispatch/core';

export const REMINDER_HELD_JOB_NAME = 'reminder.held';

export interface HeldReminderJobData {
  scheduleId: string;
  chatId: string;
  /** The original fire time, ISO 8601. */
  fireTime: string;
  /** 1 for the first hold of this fire time, +1 each time the re-decision holds again. */
  hold: number;
}

export interface HoldSpec {
  scheduleId: string;
  chatId: bigint | string;
  fireTime: Date;
  untilMs: number;
  hold: number;
}

/** No ':' (BullMQ reserves it for its own ids). */
export function heldReminderJobId(scheduleId: string, fireTime: Date, hold: number): string {
  return `reminder-held-${scheduleId}-${fireTime.getTime()}-${hold}`;
}

/** Adds the delayed re-decision; returns its job id. A second add of the same hold is a no-op. */
export async function holdReminder(queue: Pick<Queue, 'add'>, spec: HoldSpec, now = Date.now()): Promise<string> {
  if (!Number.isFinite(spec.fireTime.getTime()) || !Number.isInteger(spec.hold) || spec.hold < 1) {
    throw new AppError('SCHEDULE.INVALID', 'invalid hold', { details: { scheduleId: spec.scheduleId } });
  }
  const jobId = heldReminderJobId(spec.scheduleId, spec.fireTime, spec.hold);
  const data: HeldReminderJobData = {
    scheduleId: spec.scheduleId,
    chatId: spec.chatId.toString(),
    fireTime: spec.fireTime.toISOString(),
    hold: spec.hold,
  };
  await queue.add(REMINDER_HELD_JOB_NAME, data, {
    jobId,
    delay: Math.max(0, spec.untilMs - now),
    attempts: 3,
    backoff: { type: 'exponential', delay: 1_000 },
    // kept for an hour so a late duplicate hold still finds the id and is ignored
    removeOnComplete: { age: 3_600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3_600 },
  });
  return jobId;
}
