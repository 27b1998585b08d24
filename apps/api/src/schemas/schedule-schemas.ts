/**
 * Request and response schemas of the reminder-schedule routes
 * (routes/schedules.route.ts): the routes validate with them and
 * /openapi.json is generated from them. The field rules themselves are
 * core's (`ReminderScheduleInput`, `ReminderSchedulePatch`); this file adds
 * only what the database needs on top (no NUL, no empty rendered text).
 */
import { z } from 'zod';
import { ReminderScheduleInput, ReminderSchedulePatch, renderTemplate } from '@wa-dispatch/core';
import { ChatId, Uuid } from './request-schemas.js';

const Timestamp = z.string().meta({ format: 'date-time' });

const hasNul = (s: unknown) => typeof s === 'string' && s.includes('\u0000');

/** PostgreSQL text cannot hold U+0000: refusing it here keeps it a 400, not a 500. */
function noNul(v: { template?: string | undefined; variables?: Record<string, string | number> | undefined }, ctx: z.core.$RefinementCtx): void {
  if (hasNul(v.template)) ctx.addIssue({ code: 'custom', message: 'template must not contain NUL characters', path: ['template'] });
  if (v.variables && Object.values(v.variables).some(hasNul)) {
    ctx.addIssue({ code: 'custom', message: 'variables must not contain NUL characters', path: ['variables'] });
  }
}

export const CreateScheduleBody = ReminderScheduleInput.superRefine((v, ctx) => {
  noNul(v, ctx);
  // a message must have text (messages_text_length_check): refuse now, not at every firing
  let text: string | undefined;
  try {
    text = renderTemplate(v.template, v.variables);
  } catch {
    return; // the template issue is already reported by core's refinement
  }
  if (text.trim() === '') ctx.addIssue({ code: 'custom', message: 'the rendered text is empty', path: ['template'] });
}).meta({
  description:
    'Exactly one of cron (5 fields, or 6 with seconds first) or intervalMs. cron and quietHours are read in `timezone`, ' +
    'which should be the RECIPIENT’s zone (quiet hours are "no sends at night" for them).',
});
export type CreateScheduleBody = z.infer<typeof CreateScheduleBody>;

export const PatchScheduleBody = ReminderSchedulePatch.superRefine(noNul).meta({
  description: 'Any subset of the fields; null clears startAt, endAt or quietHours. Giving cron clears intervalMs and vice versa. The merged schedule is validated as a whole.',
});
export type PatchScheduleBody = z.infer<typeof PatchScheduleBody>;

export const ScheduleParams = z.strictObject({ chatId: ChatId, id: Uuid });

export const ListSchedulesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: Uuid.optional().meta({ description: 'nextCursor of the previous page' }),
});

export const ListRunsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  before: z.iso.datetime({ offset: true }).optional().meta({ description: 'nextBefore of the previous page (a fire time)' }),
});

const SchedulerState = z.enum(['active', 'none', 'pending']).meta({
  description:
    'The BullMQ Job Scheduler after this write: active (it will fire), none (inactive or no run left before endAt), ' +
    'pending (Redis did not answer; the row is saved and the next worker start reconciles it, a firing of a removed row removes its scheduler)',
});

export const ScheduleView = z.object({
  id: z.string(),
  chatId: z.string(),
  to: z.string().meta({ description: 'Recipient, E.164 digits' }),
  template: z.string(),
  variables: z.record(z.string(), z.union([z.string(), z.number()])),
  cron: z.string().nullable(),
  intervalMs: z.number().int().nullable(),
  timezone: z.string(),
  startAt: Timestamp.nullable(),
  endAt: Timestamp.nullable(),
  quietHours: z.object({ start: z.string(), end: z.string() }).nullable(),
  active: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ScheduleWritten = ScheduleView.extend({ scheduler: SchedulerState });

export const ScheduleList = z.object({ items: z.array(ScheduleView), nextCursor: z.string().nullable() });

export const ScheduleRun = z.object({
  id: z.string(),
  fireTime: Timestamp.meta({ description: 'The scheduled instant (also in the message’s idempotency key schedule:{id}:{fireTime})' }),
  outcome: z.enum(['queued', 'held', 'skipped', 'failed']),
  reason: z.string().nullable().meta({ description: 'skipped: tenant_paused, session_not_linked, automatic_paused, inactive, outside_window, tenant_disabled; held: quiet_hours; failed: an error code' }),
  heldUntil: Timestamp.nullable(),
  messageId: z.string().nullable(),
  message: z
    .object({ status: z.string(), sentAt: Timestamp.nullable(), errorCode: z.string().nullable() })
    .nullable()
    .meta({ description: 'What became of the message: its current status' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const ScheduleRunList = z.object({ items: z.array(ScheduleRun), nextBefore: Timestamp.nullable() });
