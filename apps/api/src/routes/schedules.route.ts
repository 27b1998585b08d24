import { Router } from 'express';
import { AppError, formatChatId, hhmmToMinutes, minutesToHhmm } from '@wa-dispatch/core';
import type { NewSchedule, ScheduleRecord, ScheduleRunView } from '@wa-dispatch/db';
import { authorize } from '../auth/authorize.js';
import { pathChatIdOf } from '../auth/principal.js';
import { jsonBody } from '../http/json-body.js';
import { validate, type ValidateOptions } from '../http/validate.js';
import {
  CreateScheduleBody,
  ListRunsQuery,
  ListSchedulesQuery,
  PatchScheduleBody,
  ScheduleParams,
} from '../schemas/schedule-schemas.js';
import type { SchedulerState } from '../services/reminder-scheduling.js';
import type { RouteContext } from './route-context.js';

/**
 * A tenant's reminder schedules (issue 6). Same callers as messages, for the
 * same reason: a schedule holds a recipient and a text and makes sends, and
 * admin keys may neither send nor read tenants' traffic. Postgres is written
 * first; the BullMQ Job Scheduler follows (services/reminder-scheduling.ts).
 */
const OWNERS = { scopes: ['service', 'tenant'], tenantPath: true } as const;

const SCHEDULE_FIELDS = ['template', 'variables', 'cron', 'intervalMs', 'timezone', 'startAt', 'endAt', 'quietHours', 'active'] as const;
const BODY_RULES: ValidateOptions = {
  generic: 'VALIDATION.INVALID_BODY',
  fieldCodes: { to: 'PHONE.INVALID', ...Object.fromEntries(SCHEDULE_FIELDS.map((f) => [f, 'SCHEDULE.INVALID'])) },
};

export function schedulesRouter(ctx: RouteContext): Router {
  const router = Router();
  const body = jsonBody(ctx.config.BODY_LIMIT);

  const params = (raw: { chatId?: string | string[]; id?: string | string[] }) =>
    validate(ScheduleParams, { chatId: raw.chatId, id: raw.id }, { generic: 'VALIDATION.INVALID_PARAM' });

  const ownSchedule = async (chatId: bigint, id: string): Promise<ScheduleRecord> => {
    const row = await ctx.schedules.findForTenant(chatId, id);
    // keyed by (chatId, id): another tenant's schedule is indistinguishable from none
    if (!row) throw new AppError('SCHEDULE.NOT_FOUND', 'no such schedule');
    return row;
  };

  router.post('/tenants/:chatId/schedules', authorize(OWNERS), ...body, async (req, res) => {
    const chatId = pathChatIdOf(res);
    const input = validate(CreateScheduleBody, req.body, BODY_RULES);
    if (!(await ctx.tenants.exists(chatId))) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    const row = await ctx.schedules.create({ chatId, ...columnsOf(input) });
    const scheduler = await ctx.reminders.sync(row);
    ctx.logger.info({ chatId: formatChatId(chatId), scheduleId: row.id, scheduler }, 'schedule created');
    res.status(201).json(writtenJson(row, scheduler));
  });

  router.get('/tenants/:chatId/schedules', authorize(OWNERS), async (req, res) => {
    const chatId = pathChatIdOf(res);
    const q = validate(ListSchedulesQuery, req.query, { generic: 'VALIDATION.INVALID_QUERY' });
    const page = await ctx.schedules.listForTenant(chatId, { limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) });
    res.json({ items: page.items.map(scheduleJson), nextCursor: page.nextCursor });
  });

  router.get('/tenants/:chatId/schedules/:id', authorize(OWNERS), async (req, res) => {
    const { chatId, id } = params(req.params);
    res.json(scheduleJson(await ownSchedule(chatId, id)));
  });

  router.patch('/tenants/:chatId/schedules/:id', authorize(OWNERS), ...body, async (req, res) => {
    const { chatId, id } = params(req.params);
    const patch = validate(PatchScheduleBody, req.body, BODY_RULES);
    const current = await ownSchedule(chatId, id);
    // merge, then validate the whole schedule as if it were created now
    const merged = validate(CreateScheduleBody, mergedInput(current, patch), BODY_RULES);
    const row = await ctx.schedules.update(chatId, id, columnsOf(merged));
    if (!row) throw new AppError('SCHEDULE.NOT_FOUND', 'no such schedule');
    const scheduler = await ctx.reminders.sync(row);
    ctx.logger.info({ chatId: formatChatId(chatId), scheduleId: id, scheduler }, 'schedule updated');
    res.json(writtenJson(row, scheduler));
  });

  router.delete('/tenants/:chatId/schedules/:id', authorize(OWNERS), async (req, res) => {
    const { chatId, id } = params(req.params);
    if (!(await ctx.schedules.delete(chatId, id))) throw new AppError('SCHEDULE.NOT_FOUND', 'no such schedule');
    // a scheduler left behind (Redis down) removes itself at its next firing: the row is gone
    const removed = await ctx.reminders.remove(id);
    ctx.logger.info({ chatId: formatChatId(chatId), scheduleId: id, scheduler: removed ? 'none' : 'pending' }, 'schedule deleted');
    res.status(204).end();
  });

  router.get('/tenants/:chatId/schedules/:id/runs', authorize(OWNERS), async (req, res) => {
    const { chatId, id } = params(req.params);
    const q = validate(ListRunsQuery, req.query, { generic: 'VALIDATION.INVALID_QUERY' });
    await ownSchedule(chatId, id);
    const page = await ctx.schedules.listRuns(chatId, id, { limit: q.limit, ...(q.before ? { before: new Date(q.before) } : {}) });
    res.json({ items: page.items.map(runJson), nextBefore: iso(page.nextBefore) });
  });

  return router;
}

function columnsOf(input: CreateScheduleBody): Omit<NewSchedule, 'chatId'> {
  return {
    toPhone: input.to,
    template: input.template,
    variables: input.variables,
    cron: input.cron ?? null,
    intervalMs: input.intervalMs ?? null,
    timezone: input.timezone,
    startAt: input.startAt ?? null,
    endAt: input.endAt ?? null,
    quietStartMin: input.quietHours ? hhmmToMinutes(input.quietHours.start) : null,
    quietEndMin: input.quietHours ? hhmmToMinutes(input.quietHours.end) : null,
    active: input.active ?? true,
  };
}

/** The stored row with the patch applied, in request form (so CreateScheduleBody re-checks every rule). */
function mergedInput(row: ScheduleRecord, patch: PatchScheduleBody): Record<string, unknown> {
  const trigger =
    patch.cron !== undefined ? { cron: patch.cron } : patch.intervalMs !== undefined ? { intervalMs: patch.intervalMs } : triggerOf(row);
  const pick = <T>(v: T | null | undefined, stored: T | null): T | null => (v === undefined ? stored : v);
  const startAt = pick(patch.startAt, row.startAt);
  const endAt = pick(patch.endAt, row.endAt);
  const quietHours = pick(patch.quietHours, quietOf(row));
  return {
    to: patch.to ?? row.toPhone,
    template: patch.template ?? row.template,
    variables: patch.variables ?? row.variables,
    ...trigger,
    timezone: patch.timezone ?? row.timezone,
    ...(startAt ? { startAt: startAt.toISOString() } : {}),
    ...(endAt ? { endAt: endAt.toISOString() } : {}),
    ...(quietHours ? { quietHours } : {}),
    active: patch.active ?? row.active,
  };
}

function triggerOf(row: ScheduleRecord): { cron: string } | { intervalMs: number } | Record<string, never> {
  if (row.cron !== null) return { cron: row.cron };
  if (row.intervalMs !== null) return { intervalMs: row.intervalMs };
  return {};
}

function quietOf(row: ScheduleRecord): { start: string; end: string } | null {
  return row.quietStartMin === null || row.quietEndMin === null
    ? null
    : { start: minutesToHhmm(row.quietStartMin), end: minutesToHhmm(row.quietEndMin) };
}

function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

function scheduleJson(s: ScheduleRecord) {
  return {
    id: s.id,
    chatId: formatChatId(s.chatId),
    to: s.toPhone,
    template: s.template,
    variables: s.variables,
    cron: s.cron,
    intervalMs: s.intervalMs,
    timezone: s.timezone,
    startAt: iso(s.startAt),
    endAt: iso(s.endAt),
    quietHours: quietOf(s),
    active: s.active,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

function writtenJson(s: ScheduleRecord, scheduler: SchedulerState) {
  return { ...scheduleJson(s), scheduler };
}

function runJson(r: ScheduleRunView) {
  return {
    id: r.id,
    fireTime: r.fireTime.toISOString(),
    outcome: r.outcome,
    reason: r.reason,
    heldUntil: iso(r.heldUntil),
    messageId: r.messageId,
    message: r.message ? { status: r.message.status, sentAt: iso(r.message.sentAt), errorCode: r.message.errorCode } : null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
