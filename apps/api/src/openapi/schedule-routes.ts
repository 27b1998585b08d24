/**
 * The reminder-schedule routes of /openapi.json (routes/schedules.route.ts),
 * built from the schemas the router validates with.
 */
import * as Req from '../schemas/request-schemas.js';
import * as S from '../schemas/schedule-schemas.js';
import type { RouteDoc } from './api-routes.js';

const SCOPES = ['service', 'tenant'] as const;
const INVALID = { description: 'SCHEDULE.INVALID (bad cron, unknown time zone, a template variable not supplied…), PHONE.INVALID, VALIDATION.*' };

export const SCHEDULE_ROUTES: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/tenants/{chatId}/schedules',
    summary: 'Create a reminder schedule: each firing becomes an outbox message sent through the tenant’s own session',
    tag: 'schedules',
    scopes: SCOPES,
    params: Req.TenantParams,
    body: S.CreateScheduleBody,
    responses: {
      201: { description: 'Created (scheduler says whether its BullMQ Job Scheduler is in place)', schema: S.ScheduleWritten },
      400: INVALID,
      404: { description: 'TENANT.NOT_FOUND' },
    },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/schedules',
    summary: 'The tenant’s schedules, oldest first, cursor-paginated',
    tag: 'schedules',
    scopes: SCOPES,
    params: Req.TenantParams,
    query: S.ListSchedulesQuery,
    responses: { 200: { description: 'A page', schema: S.ScheduleList } },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/schedules/{id}',
    summary: 'One schedule',
    tag: 'schedules',
    scopes: SCOPES,
    params: S.ScheduleParams,
    responses: { 200: { description: 'The schedule', schema: S.ScheduleView }, 404: { description: 'SCHEDULE.NOT_FOUND' } },
  },
  {
    method: 'patch',
    path: '/v1/tenants/{chatId}/schedules/{id}',
    summary: 'Change a schedule (active:false removes its scheduler; the merged schedule is validated as a whole)',
    tag: 'schedules',
    scopes: SCOPES,
    params: S.ScheduleParams,
    body: S.PatchScheduleBody,
    responses: {
      200: { description: 'The schedule after the change', schema: S.ScheduleWritten },
      400: INVALID,
      404: { description: 'SCHEDULE.NOT_FOUND' },
    },
  },
  {
    method: 'delete',
    path: '/v1/tenants/{chatId}/schedules/{id}',
    summary: 'Delete a schedule, its runs and its BullMQ scheduler (messages it already made stay)',
    tag: 'schedules',
    scopes: SCOPES,
    params: S.ScheduleParams,
    responses: { 204: { description: 'Deleted' }, 404: { description: 'SCHEDULE.NOT_FOUND' } },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/schedules/{id}/runs',
    summary: 'What fired, when, and what became of it (queued + the message’s status, held until, skipped with a reason)',
    tag: 'schedules',
    scopes: SCOPES,
    params: S.ScheduleParams,
    query: S.ListRunsQuery,
    responses: { 200: { description: 'Runs, newest fire time first', schema: S.ScheduleRunList }, 404: { description: 'SCHEDULE.NOT_FOUND' } },
  },
];
