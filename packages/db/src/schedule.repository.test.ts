import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@wa-dispatch/testing';
import { createDb, type Db } from './prisma-client.js';
import { OutboxRepository } from './outbox.repository.js';
import { ScheduleRepository, type NewSchedule } from './schedule.repository.js';

let tdb: TestDatabase;
let db: Db;
let repo: ScheduleRepository;
const A = 21n;
const B = -1_000_000_000_022n;

const schedule = (chatId: bigint, extra: Partial<NewSchedule> = {}): NewSchedule => ({
  chatId,
  toPhone: '5511912345678',
  template: 'Oi {{name}}, vence {{due_date}}',
  variables: { name: 'Ana', due_date: '10/12' },
  cron: '0 9 * * *',
  intervalMs: null,
  timezone: 'America/Sao_Paulo',
  startAt: null,
  endAt: null,
  quietStartMin: null,
  quietEndMin: null,
  active: true,
  ...extra,
});

beforeAll(async () => {
  tdb = await createTestDatabase('db_schedules');
  db = createDb({ url: tdb.url, max: 4 });
  repo = new ScheduleRepository(db);
  await tdb.pool.query(`INSERT INTO tenants (chat_id, name) VALUES ($1, 'A'), ($2, 'B')`, [A.toString(), B.toString()]);
  await tdb.pool.query(`INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard) VALUES ($1, $2, 0), ($3, $4, 0)`, [
    `user_${A}`,
    A.toString(),
    `user_${B}`,
    B.toString(),
  ]);
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

describe('ScheduleRepository (real schema)', () => {
  it('creates and reads back a schedule, scoped by tenant', async () => {
    const made = await repo.create(schedule(A, { quietStartMin: 22 * 60, quietEndMin: 8 * 60 }));
    expect(made).toMatchObject({ chatId: A, cron: '0 9 * * *', intervalMs: null, variables: { name: 'Ana', due_date: '10/12' }, quietStartMin: 1320 });
    expect(made.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(await repo.findForTenant(A, made.id)).toEqual(made);
    expect(await repo.findForTenant(B, made.id)).toBeNull();
    expect(await repo.findById(made.id)).toEqual(made);
  });

  it('the database refuses cron and interval together, or an interval under 1 s', async () => {
    await expect(repo.create(schedule(A, { intervalMs: 5_000 }))).rejects.toThrow();
    await expect(repo.create(schedule(A, { cron: null, intervalMs: 999 }))).rejects.toThrow();
  });

  it('lists a tenant’s own schedules, paged by cursor', async () => {
    const own = [await repo.create(schedule(B)), await repo.create(schedule(B, { cron: null, intervalMs: 60_000 })), await repo.create(schedule(B))];
    const first = await repo.listForTenant(B, { limit: 2 });
    expect(first.items.map((s) => s.id)).toEqual(own.slice(0, 2).map((s) => s.id));
    expect(first.nextCursor).toBe(own[1]!.id);
    const second = await repo.listForTenant(B, { limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ items: [own[2]], nextCursor: null });
    expect((await repo.listForTenant(A, { limit: 100 })).items.every((s) => s.chatId === A)).toBe(true);
  });

  it('updates and deletes only the tenant’s own row', async () => {
    const s = await repo.create(schedule(A));
    const next = { ...s, cron: null, intervalMs: 30_000, active: false };
    const { id: _id, chatId: _c, createdAt: _ca, updatedAt: _ua, ...cols } = next;
    expect(await repo.update(B, s.id, cols)).toBeNull();
    const updated = await repo.update(A, s.id, cols);
    expect(updated).toMatchObject({ id: s.id, cron: null, intervalMs: 30_000, active: false });
    expect((await repo.listActive()).some((r) => r.id === s.id)).toBe(false);
    expect(await repo.delete(B, s.id)).toBe(false);
    expect(await repo.delete(A, s.id)).toBe(true);
    expect(await repo.findById(s.id)).toBeNull();
  });

  it('upserts one run per (schedule, fire time); a queued run is never overwritten', async () => {
    const s = await repo.create(schedule(A));
    const fire = new Date('2026-12-04T12:00:00.000Z');
    const held = await repo.upsertRun({ scheduleId: s.id, fireTime: fire, outcome: 'held', reason: 'quiet_hours', heldUntil: new Date('2026-12-04T13:00:00Z') });
    expect(held).toMatchObject({ outcome: 'held', reason: 'quiet_hours', message: null });
    const outbox = new OutboxRepository(db);
    const { message } = await outbox.insertQueued({
      chatId: A,
      sessionId: `user_${A}`,
      toPhone: '5511912345678',
      text: 'x',
      source: 'schedule',
      scheduleId: s.id,
      idempotencyKey: `schedule:${s.id}:${fire.toISOString()}`,
    });
    const queued = await repo.upsertRun({ scheduleId: s.id, fireTime: fire, outcome: 'queued', messageId: message.id });
    // the hold stays on record after the run is queued
    expect(queued).toMatchObject({ id: held.id, outcome: 'queued', reason: null, heldUntil: held.heldUntil, messageId: message.id });
    // a late duplicate that would skip keeps the queued run
    const dup = await repo.upsertRun({ scheduleId: s.id, fireTime: fire, outcome: 'skipped', reason: 'tenant_paused' });
    expect(dup).toMatchObject({ outcome: 'queued', messageId: message.id, message: { status: 'queued', sentAt: null } });
    const { rows } = await tdb.pool.query(`SELECT count(*)::int AS n FROM schedule_runs WHERE schedule_id = $1`, [s.id]);
    expect(rows[0].n).toBe(1);
    const { rows: msg } = await tdb.pool.query(`SELECT source, schedule_id FROM messages WHERE id = $1`, [message.id]);
    expect(msg).toEqual([{ source: 'schedule', schedule_id: s.id }]);
  });

  it('lists runs newest first with the message status, and nothing for another tenant', async () => {
    const s = await repo.create(schedule(A));
    const t = (m: number) => new Date(Date.UTC(2026, 11, 4, 12, m));
    for (const m of [1, 2, 3]) await repo.upsertRun({ scheduleId: s.id, fireTime: t(m), outcome: 'skipped', reason: 'tenant_paused' });
    const page = await repo.listRuns(A, s.id, { limit: 2 });
    expect(page.items.map((r) => r.fireTime)).toEqual([t(3), t(2)]);
    expect(page.nextBefore).toEqual(t(2));
    const rest = await repo.listRuns(A, s.id, { limit: 2, before: page.nextBefore! });
    expect(rest.items.map((r) => r.fireTime)).toEqual([t(1)]);
    expect(rest.nextBefore).toBeNull();
    expect((await repo.listRuns(B, s.id, { limit: 10 })).items).toEqual([]);
  });

  it('deleting a schedule deletes its runs and detaches its messages', async () => {
    const s = await repo.create(schedule(A));
    const outbox = new OutboxRepository(db);
    const { message } = await outbox.insertQueued({ chatId: A, sessionId: `user_${A}`, toPhone: '5511912345678', text: 'y', source: 'schedule', scheduleId: s.id });
    await repo.upsertRun({ scheduleId: s.id, fireTime: new Date(), outcome: 'queued', messageId: message.id });
    expect(await repo.delete(A, s.id)).toBe(true);
    const { rows } = await tdb.pool.query(
      `SELECT (SELECT count(*)::int FROM schedule_runs WHERE schedule_id = $1) AS runs, (SELECT schedule_id FROM messages WHERE id = $2) AS sid`,
      [s.id, message.id],
    );
    expect(rows[0]).toEqual({ runs: 0, sid: null });
  });
});
