import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reminderSchedulerId, type ReminderQueue } from '@wa-dispatch/queue';
import { startHarness, type Harness } from './test-support/api-harness.js';

// Reminder schedule routes: Postgres first, then the BullMQ Job Scheduler;
// bad input is a 400 with a code and writes nothing, anywhere.
const A = 8101n;
const B = -1_008_102n;
let h: Harness;
let keyA: string;
let keyB: string;
let service: string;
let redisDown = false;

const valid = {
  to: '+55 11 91234-5678',
  template: 'Oi {{name}}, sua fatura de {{amount}} vence em {{due_date}}',
  variables: { name: 'Ana', amount: 'R$ 10,00', due_date: '10/12' },
  cron: '30 0 9 * * *',
  timezone: 'Asia/Kolkata',
  quietHours: { start: '22:00', end: '08:00' },
};

beforeAll(async () => {
  h = await startHarness('api_schedules', {
    deps: (d) => {
      const real = d.reminders!;
      // Redis trouble after the row is written: the queue calls fail while redisDown is set
      const fail = () => Promise.reject(new Error('Connection is closed.'));
      const reminders: ReminderQueue = {
        upsertJobScheduler: (...a) => (redisDown ? fail() : real.upsertJobScheduler(...a)),
        removeJobScheduler: (...a) => (redisDown ? fail() : real.removeJobScheduler(...a)),
        getJobSchedulers: (...a) => real.getJobSchedulers(...a),
      };
      return { ...d, reminders };
    },
  });
  await h.seedTenant(A);
  await h.seedTenant(B);
  keyA = (await h.seedKey('tenant', A)).key;
  keyB = (await h.seedKey('tenant', B)).key;
  service = (await h.seedKey('service')).key;
});

afterAll(async () => {
  await h?.close();
});

const path = (chatId: bigint, rest = '') => `/v1/tenants/${chatId}/schedules${rest}`;

describe('POST /v1/tenants/{chatId}/schedules', () => {
  it('creates the row and its Job Scheduler reminder:{id} (cron with seconds, in the recipient’s zone)', async () => {
    const res = await h.call('POST', path(A), { key: keyA, body: valid });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      chatId: A.toString(),
      to: '5511912345678',
      cron: '30 0 9 * * *',
      intervalMs: null,
      timezone: 'Asia/Kolkata',
      quietHours: { start: '22:00', end: '08:00' },
      active: true,
      scheduler: 'active',
      startAt: null,
    });
    const s = await h.reminders.getJobScheduler(reminderSchedulerId(res.body.id));
    expect(s).toMatchObject({ pattern: '30 0 9 * * *', tz: 'Asia/Kolkata' });
    // ids only in Redis: no phone, no template, no variable values
    const dump = await h.redisDump();
    for (const secret of ['5511912345678', 'fatura', 'R$ 10,00']) expect(dump).not.toContain(secret);
    const { rows } = await h.tdb.pool.query(`SELECT chat_id, quiet_start_min, quiet_end_min, variables FROM reminder_schedules WHERE id = $1`, [res.body.id]);
    expect(rows).toEqual([{ chat_id: A.toString(), quiet_start_min: 1320, quiet_end_min: 480, variables: valid.variables }]);
  });

  it.each([
    ['a bad cron', { cron: '61 * * * *' }, 'SCHEDULE.INVALID', 'cron'],
    ['an unknown zone', { timezone: 'Mars/Olympus' }, 'SCHEDULE.INVALID', 'timezone'],
    ['a missing variable', { variables: { name: 'Ana', amount: 1 } }, 'SCHEDULE.INVALID', 'variables'],
    ['a malformed placeholder', { template: 'Oi {{ Name! }}' }, 'SCHEDULE.INVALID', 'template'],
    ['cron and intervalMs together', { intervalMs: 60_000 }, 'SCHEDULE.INVALID', 'cron'],
    ['an interval under 1 s', { cron: undefined, intervalMs: 500 }, 'SCHEDULE.INVALID', 'intervalMs'],
    ['endAt before startAt', { startAt: '2030-01-02T00:00:00Z', endAt: '2030-01-01T00:00:00Z' }, 'SCHEDULE.INVALID', 'endAt'],
    ['bad quiet hours', { quietHours: { start: '25:00', end: '08:00' } }, 'SCHEDULE.INVALID', 'quietHours.start'],
    ['a bad phone', { to: '123' }, 'PHONE.INVALID', 'to'],
    ['an unknown field', { text: 'x' }, 'VALIDATION.INVALID_BODY', ''],
    ['a NUL in the template', { template: 'Oi\u0000 {{name}}' }, 'SCHEDULE.INVALID', 'template'],
    ['an empty rendered text', { template: '{{name}}', variables: { name: ' ' } }, 'SCHEDULE.INVALID', 'template'],
  ])('refuses %s with 400 and writes nothing', async (_what, change, code, field) => {
    const before = await h.counts();
    const res = await h.call('POST', path(A), { key: keyA, body: { ...valid, ...change } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(field);
    expect(await h.counts()).toEqual(before);
    // the error never echoes values (phone, text)
    expect(res.text).not.toContain('Ana');
  });

  it('is 403 for another tenant’s key and 404 for an unknown tenant', async () => {
    const before = await h.counts();
    const res = await h.call('POST', path(A), { key: keyB, body: valid });
    expect([res.status, res.body.error.code]).toEqual([403, 'AUTH.FORBIDDEN_TENANT']);
    const none = await h.call('POST', path(777_777n), { key: service, body: valid });
    expect([none.status, none.body.error.code]).toEqual([404, 'TENANT.NOT_FOUND']);
    expect(await h.counts()).toEqual(before);
  });

  it('keeps the row when Redis fails after the write (scheduler "pending"; the worker reconcile fixes it)', async () => {
    redisDown = true;
    try {
      const res = await h.call('POST', path(A), { key: keyA, body: { ...valid, cron: undefined, intervalMs: 60_000 } });
      expect(res.status).toBe(201);
      expect(res.body.scheduler).toBe('pending');
      expect(await h.reminders.getJobScheduler(reminderSchedulerId(res.body.id))).toBeUndefined();
      expect((await h.call('GET', path(A, `/${res.body.id}`), { key: keyA })).status).toBe(200);
    } finally {
      redisDown = false;
    }
  });
});

describe('GET, PATCH, DELETE and runs', () => {
  it('lists and reads only the tenant’s own schedules', async () => {
    const b = await h.call('POST', path(B), { key: keyB, body: { ...valid, cron: '0 9 * * 1-5', timezone: 'America/Sao_Paulo' } });
    expect(b.status).toBe(201);
    const list = await h.call('GET', path(A, '?limit=1'), { key: keyA });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.nextCursor).toBe(list.body.items[0].id);
    const all = await h.call('GET', path(A), { key: service });
    expect(all.body.items.every((s: { chatId: string }) => s.chatId === A.toString())).toBe(true);
    expect(all.body.items.some((s: { id: string }) => s.id === b.body.id)).toBe(false);
    // B's schedule through A's path: not found, not forbidden (nothing is revealed)
    const cross = await h.call('GET', path(A, `/${b.body.id}`), { key: keyA });
    expect([cross.status, cross.body.error.code]).toEqual([404, 'SCHEDULE.NOT_FOUND']);
    for (const method of ['PATCH', 'DELETE']) {
      const r = await h.call(method, path(A, `/${b.body.id}`), { key: keyA, ...(method === 'PATCH' ? { body: { active: false } } : {}) });
      expect([r.status, r.body.error.code]).toEqual([404, 'SCHEDULE.NOT_FOUND']);
    }
    expect(await h.reminders.getJobScheduler(reminderSchedulerId(b.body.id))).toBeDefined();
  });

  it('patches: cron → interval, inactive removes the scheduler, active again restores it', async () => {
    const made = await h.call('POST', path(A), { key: keyA, body: valid });
    const id = made.body.id as string;
    const toInterval = await h.call('PATCH', path(A, `/${id}`), { key: keyA, body: { intervalMs: 30_000, quietHours: null } });
    expect(toInterval.status, toInterval.text).toBe(200);
    expect(toInterval.body).toMatchObject({ cron: null, intervalMs: 30_000, quietHours: null, scheduler: 'active' });
    expect((await h.reminders.getJobScheduler(reminderSchedulerId(id)))?.every).toBe(30_000);

    const off = await h.call('PATCH', path(A, `/${id}`), { key: keyA, body: { active: false } });
    expect(off.body).toMatchObject({ active: false, scheduler: 'none' });
    expect(await h.reminders.getJobScheduler(reminderSchedulerId(id))).toBeUndefined();

    const on = await h.call('PATCH', path(A, `/${id}`), { key: keyA, body: { active: true, cron: '0 8 * * *' } });
    expect(on.body).toMatchObject({ active: true, cron: '0 8 * * *', intervalMs: null, scheduler: 'active' });
    expect((await h.reminders.getJobScheduler(reminderSchedulerId(id)))?.pattern).toBe('0 8 * * *');
  });

  it('a patch is validated against the merged schedule and writes nothing when bad', async () => {
    const made = await h.call('POST', path(A), { key: keyA, body: valid });
    const id = made.body.id as string;
    const before = await h.call('GET', path(A, `/${id}`), { key: keyA });
    for (const [body, code] of [
      [{ template: 'Oi {{name}}, {{missing}}' }, 'SCHEDULE.INVALID'],
      [{ variables: { name: 'x' } }, 'SCHEDULE.INVALID'],
      [{ endAt: '2020-01-01T00:00:00Z', startAt: '2021-01-01T00:00:00Z' }, 'SCHEDULE.INVALID'],
      [{ timezone: 'Nowhere/City' }, 'SCHEDULE.INVALID'],
      [{}, 'VALIDATION.INVALID_BODY'],
    ] as const) {
      const res = await h.call('PATCH', path(A, `/${id}`), { key: keyA, body });
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([400, code]);
    }
    expect((await h.call('GET', path(A, `/${id}`), { key: keyA })).body).toEqual(before.body);
  });

  it('deletes the row and its scheduler; runs list what fired, with the message status', async () => {
    const made = await h.call('POST', path(A), { key: keyA, body: valid });
    const id = made.body.id as string;
    const fire = '2026-12-04T03:30:30.000Z';
    await h.tdb.pool.query(
      `INSERT INTO schedule_runs (id, schedule_id, fire_time, outcome, reason) VALUES (gen_random_uuid(), $1, $2, 'skipped', 'tenant_paused')`,
      [id, fire],
    );
    const runs = await h.call('GET', path(A, `/${id}/runs`), { key: keyA });
    expect(runs.status).toBe(200);
    expect(runs.body).toMatchObject({ items: [{ fireTime: fire, outcome: 'skipped', reason: 'tenant_paused', message: null }], nextBefore: null });
    expect((await h.call('GET', path(B, `/${id}/runs`), { key: keyB })).status).toBe(404);
    expect((await h.call('GET', path(A, `/${id}/runs?before=nope`), { key: keyA })).body.error.code).toBe('VALIDATION.INVALID_QUERY');

    const del = await h.call('DELETE', path(A, `/${id}`), { key: keyA });
    expect(del.status).toBe(204);
    expect(await h.reminders.getJobScheduler(reminderSchedulerId(id))).toBeUndefined();
    expect((await h.call('GET', path(A, `/${id}`), { key: keyA })).status).toBe(404);
    expect((await h.call('DELETE', path(A, `/${id}`), { key: keyA })).status).toBe(404);
    const { rows } = await h.tdb.pool.query(`SELECT count(*)::int AS n FROM schedule_runs WHERE schedule_id = $1`, [id]);
    expect(rows[0].n).toBe(0);
  });

  it('admin keys may not create or read schedules (they hold recipients and texts)', async () => {
    const admin = (await h.seedKey('admin')).key;
    expect((await h.call('GET', path(A), { key: admin })).body.error.code).toBe('AUTH.FORBIDDEN');
    expect((await h.call('POST', path(A), { key: admin, body: valid })).body.error.code).toBe('AUTH.FORBIDDEN');
  });
});
