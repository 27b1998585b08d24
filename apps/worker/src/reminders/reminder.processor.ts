/**
 * One reminder firing: load the schedule, its tenant and the tenant's own
 * session, decide (packages/core `decideFiring`), and record the run. A send
 * goes through `MessageIntake` — the API's accept-a-send path — with the
 * idempotency key `schedule:{id}:{fireTime}`, so a double firing (a
 * duplicated job, a retry, a hold decided twice) makes one outbox row. A
 * skipped firing is recorded and reported to the tenant, never sent through
 * another session. Jobs carry ids only; logs carry ids and masked phones.
 */
import { z } from 'zod';
import type { Job } from 'bullmq';
import {
  AppError,
  decideFiring,
  formatChatId,
  idempotencyKeyFor,
  maskPhone,
  renderTemplate,
  type IntakeTenantLookup,
  type MessageIntake,
  type SkipReason,
  type TenantEventSink,
} from '@wa-dispatch/core';
import type { RunUpsert, ScheduleRecord, ScheduleRunView } from '@wa-dispatch/db';
import {
  REMINDER_HELD_JOB_NAME,
  REMINDER_JOB_NAME,
  holdReminder,
  reminderFireTime,
  removeReminderScheduler,
  type ReminderQueue,
} from '@wa-dispatch/queue';
import type { Logger } from '../logger.js';

export type FiringOutcome = 'queued' | 'duplicate' | 'held' | 'skipped' | 'failed' | 'gone' | 'refused';

export interface ReminderProcessorOptions {
  schedules: {
    findById(id: string): Promise<ScheduleRecord | null>;
    upsertRun(run: RunUpsert): Promise<ScheduleRunView>;
  };
  tenants: IntakeTenantLookup;
  intake: Pick<MessageIntake, 'accept'>;
  /** The automatic-sends switch (or the kill switch), as the send gates see it. */
  automaticPaused(): Promise<boolean>;
  /** The reminders queue: held re-decisions are added to it, stale schedulers removed from it. */
  queue: ReminderQueue & { add: Parameters<typeof holdReminder>[0]['add'] };
  events: TenantEventSink;
  logger: Logger;
  onOutcome?(outcome: FiringOutcome): void;
  now?: () => number;
}

const Uuid = z.uuid();
const ChatIdString = z.string().regex(/^-?[1-9]\d{0,18}$/);
const FiredJob = z.strictObject({ scheduleId: Uuid, chatId: ChatIdString });
const HeldJob = z.strictObject({ scheduleId: Uuid, chatId: ChatIdString, fireTime: z.iso.datetime(), hold: z.number().int().min(1).max(1_000) });

interface Firing {
  scheduleId: string;
  chatId: string;
  fireTime: Date;
  /** How many times this fire time was held already. */
  hold: number;
}

function firingOf(job: Pick<Job, 'id' | 'name' | 'data' | 'timestamp' | 'delay'>): Firing | null {
  if (job.name === REMINDER_JOB_NAME) {
    const d = FiredJob.safeParse(job.data);
    return d.success ? { ...d.data, fireTime: reminderFireTime(job), hold: 0 } : null;
  }
  if (job.name === REMINDER_HELD_JOB_NAME) {
    const d = HeldJob.safeParse(job.data);
    return d.success ? { ...d.data, fireTime: new Date(d.data.fireTime) } : null;
  }
  return null;
}

export function createReminderProcessor(o: ReminderProcessorOptions) {
  const now = o.now ?? Date.now;

  const skip = async (f: Firing, chatId: bigint, reason: SkipReason, log: Logger): Promise<FiringOutcome> => {
    const run = await o.schedules.upsertRun({ scheduleId: f.scheduleId, fireTime: f.fireTime, outcome: 'skipped', reason });
    // a duplicate firing of a fire time that already made its message is not a skip
    if (run.outcome === 'queued') return 'duplicate';
    await o.events.emit('schedule.skipped', chatId, { scheduleId: f.scheduleId, fireTime: f.fireTime.toISOString(), reason });
    log.info({ reason }, 'reminder skipped');
    return 'skipped';
  };

  const fail = async (f: Firing, code: string, log: Logger): Promise<FiringOutcome> => {
    const run = await o.schedules.upsertRun({ scheduleId: f.scheduleId, fireTime: f.fireTime, outcome: 'failed', reason: code.slice(0, 64) });
    if (run.outcome === 'queued') return 'duplicate';
    log.warn({ code }, 'reminder failed');
    return 'failed';
  };

  const fire = async (f: Firing, log: Logger): Promise<FiringOutcome> => {
    const schedule = await o.schedules.findById(f.scheduleId);
    if (!schedule) {
      // the row is the source of truth: no row, no scheduler (e.g. a delete whose Redis step failed)
      await removeReminderScheduler(o.queue, f.scheduleId);
      return 'gone';
    }
    if (formatChatId(schedule.chatId) !== f.chatId) {
      // a forged or corrupted job: never act for a tenant the row does not name
      log.warn({ code: 'JOB.INVALID', rowChatId: formatChatId(schedule.chatId) }, 'reminder job refused: chat id does not match the schedule');
      return 'refused';
    }
    const chatId = schedule.chatId;
    const tenant = await o.tenants.findWithSession(chatId);
    if (!tenant) return 'gone'; // the schedule row goes with its tenant (FK cascade)
    const quiet =
      schedule.quietStartMin !== null && schedule.quietEndMin !== null
        ? { startMin: schedule.quietStartMin, endMin: schedule.quietEndMin, timezone: schedule.timezone }
        : null;
    const decision = decideFiring({
      schedule: { active: schedule.active, startAt: schedule.startAt, endAt: schedule.endAt, quiet },
      tenant,
      session: tenant.session,
      automaticPaused: await o.automaticPaused(),
      now: new Date(now()),
    });

    if (decision.action === 'skip') {
      const ended = schedule.endAt !== null && schedule.endAt.getTime() <= now();
      if (decision.reason === 'inactive' || (decision.reason === 'outside_window' && ended)) {
        await removeReminderScheduler(o.queue, schedule.id);
      }
      return skip(f, chatId, decision.reason, log);
    }

    if (decision.action === 'hold') {
      const run = await o.schedules.upsertRun({
        scheduleId: f.scheduleId,
        fireTime: f.fireTime,
        outcome: 'held',
        reason: decision.reason,
        heldUntil: new Date(decision.untilMs),
      });
      if (run.outcome === 'queued') return 'duplicate';
      await holdReminder(o.queue, { scheduleId: f.scheduleId, chatId, fireTime: f.fireTime, untilMs: decision.untilMs, hold: f.hold + 1 }, now());
      log.info({ heldUntil: new Date(decision.untilMs).toISOString() }, 'reminder held for quiet hours');
      return 'held';
    }

    let text: string;
    try {
      text = renderTemplate(schedule.template, schedule.variables);
    } catch (err) {
      if (!AppError.is(err)) throw err;
      return fail(f, err.code, log);
    }
    let accepted;
    try {
      accepted = await o.intake.accept({
        chatId,
        to: schedule.toPhone,
        text,
        idempotencyKey: idempotencyKeyFor(schedule.id, f.fireTime),
        source: 'schedule',
        scheduleId: schedule.id,
      });
    } catch (err) {
      // retryable trouble (database down) goes back to BullMQ; a refusal is recorded
      if (!AppError.is(err) || err.retryable) throw err;
      // the same fire time already made its message with another text (the template changed in between)
      if (err.code === 'MESSAGE.IDEMPOTENCY_CONFLICT') return 'duplicate';
      return fail(f, err.code, log);
    }
    await o.schedules.upsertRun({ scheduleId: f.scheduleId, fireTime: f.fireTime, outcome: 'queued', messageId: accepted.message.id });
    log.info({ messageId: accepted.message.id, to: maskPhone(schedule.toPhone), created: accepted.created }, 'reminder queued');
    return accepted.created ? 'queued' : 'duplicate';
  };

  return async (job: Job): Promise<FiringOutcome> => {
    const f = firingOf(job);
    if (!f) {
      o.logger.warn({ jobId: job.id, name: job.name, code: 'JOB.INVALID' }, 'reminder job refused: unexpected name or data');
      o.onOutcome?.('refused');
      return 'refused';
    }
    const log = o.logger.child({ scheduleId: f.scheduleId, chatId: f.chatId, fireTime: f.fireTime.toISOString() });
    const outcome = await fire(f, log);
    if (outcome === 'gone' || outcome === 'duplicate') log.info({ outcome }, 'reminder not sent');
    o.onOutcome?.(outcome);
    return outcome;
  };
}
