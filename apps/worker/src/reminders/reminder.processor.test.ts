import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import { pino } from 'pino';
import { MessageIntake, quietHoursEnd, shardOf, type TenantEventSink } from '@wa-dispatch/core';
import { createDb, OutboxRepository, ScheduleRepository, TenantRepository, type Db, type NewSchedule } from '@wa-dispatch/db';
import {
  REMINDER_HELD_JOB_NAME,
  REMINDER_JOB_NAME,
  SendProducer,
  createRemindersQueue,
  heldReminderJobId,
  reminderSchedulerId,
  upsertReminderScheduler,
} from '@wa-dispatch/queue';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import { createReminderProcessor } from './reminder.processor.js';

// The processor against the real schema and Redis: each firing's decision,
// its run row, the outbox row through MessageIntake, holds and duplicates.
const SHARDS = 2;
const A = 930_001n;
const PHONE = '5511955554444';
let tdb: TestDatabase;
let redis: TestRedis;
let db: Db;
let producer: SendProducer;
let queue: ReturnType<typeof createRemindersQueue>;
let schedules: ScheduleRepository;
let automaticPaused = false;
let clock = Date.now();
const events: { type: string; chatId: bigint; data: unknown }[] = [];
const logs: string[] = [];
let processor: ReturnType<typeof createReminderProcessor>;

const sink: TenantEventSink = {
  emit: async (type, chatId, data) => {
    events.push({ type, chatId, data });
  },
};

beforeAll(async () => {
  tdb = await createTestDatabase('reminder_proc');
  redis = await createTestRedis('reminder-proc');
  db = createDb({ url: tdb.url, max: 4 });
  producer = new SendProducer({ connection: redis.client, prefix: redis.prefix, shardCount: SHARDS });
  queue = createRemindersQueue({ connection: redis.client, prefix: redis.prefix });
  schedules = new ScheduleRepository(db);
  const tenants = new TenantRepository(db);
  processor = createReminderProcessor({
    schedules,
    tenants,
    intake: new MessageIntake({ tenants, outbox: new OutboxRepository(db), enqueuer: producer, enqueueTimeoutMs: 2_000 }),
    automaticPaused: async () => automaticPaused,
    queue,
    events: sink,
    logger: pino({ level: 'debug' }, { write: (l: string) => void logs.push(l) }),
    now: () => clock,
  });
  await tdb.pool.query(`INSERT INTO tenants (chat_id, name) VALUES ($1, 'A')`, [A.toString()]);
  await tdb.pool.query(
    `INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard, status, numero_whatsapp) VALUES ($1, $2, $3, 'connected', '5511900000001')`,
    [`user_${A}`, A.toString(), shardOf(A, SHARDS)],
  );
});

afterAll(async () => {
  await queue?.close();
  await producer?.close();
  await redis?.close();
  await db?.$disconnect();
  await tdb?.drop();
});

beforeEach(async () => {
  automaticPaused = false;
  clock = Date.now();
  events.length = 0;
  await tdb.pool.query(`UPDATE tenants SET paused = false`);
  await tdb.pool.query(`UPDATE whatsapp_sessions SET status = 'connected'`);
});

const newSchedule = (extra: Partial<NewSchedule> = {}) =>
  schedules.create({
    chatId: A,
    toPhone: PHONE,
    template: 'Oi {{name}}, vence {{due_date}}',
    variables: { name: 'Ana', due_date: '10/12' },
    cron: null,
    intervalMs: 60_000,
    timezone: 'Asia/Kolkata',
    startAt: null,
    endAt: null,
    quietStartMin: null,
    quietEndMin: null,
    active: true,
    ...extra,
  });

/** A job as a Job Scheduler makes it: id repeat:{schedulerId}:{fire ms}. */
const fired = (scheduleId: string, fireMs: number, chatId = A): Job =>
  ({ id: `repeat:reminder:${scheduleId}:${fireMs}`, name: REMINDER_JOB_NAME, data: { scheduleId, chatId: chatId.toString() }, timestamp: fireMs, delay: 0 }) as unknown as Job;

async function messagesOf(scheduleId: string) {
  const { rows } = await tdb.pool.query(`SELECT id, text, source, idempotency_key, status FROM messages WHERE schedule_id = $1`, [scheduleId]);
  return rows;
}
async function runsOf(scheduleId: string) {
  const { rows } = await tdb.pool.query(`SELECT fire_time, outcome, reason, message_id, held_until FROM schedule_runs WHERE schedule_id = $1`, [scheduleId]);
  return rows;
}

describe('reminder processor (real Postgres + Redis)', () => {
  it('sends through MessageIntake: one outbox row with the schedule’s key, a queued run, a send job with ids only', async () => {
    const s = await newSchedule();
    const fire = Math.floor(Date.now() / 1000) * 1000;
    expect(await processor(fired(s.id, fire))).toBe('queued');
    const [m, ...rest] = await messagesOf(s.id);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ text: 'Oi Ana, vence 10/12', source: 'schedule', idempotency_key: `schedule:${s.id}:${new Date(fire).toISOString()}`, status: 'queued' });
    expect(await runsOf(s.id)).toEqual([{ fire_time: new Date(fire), outcome: 'queued', reason: null, message_id: m.id, held_until: null }]);
    const job = await producer.queueFor(shardOf(A, SHARDS)).getJob(m.id);
    expect(job?.data).toStrictEqual({ messageId: m.id, chatId: A.toString(), sessionId: `user_${A}` });
    expect(logs.join('\n')).not.toContain(PHONE);
    expect(logs.join('\n')).not.toContain('Oi Ana');
  });

  it('a double firing of one fire time sends once', async () => {
    const s = await newSchedule();
    const fire = Date.now() - 5_000;
    const outcomes = await Promise.all([processor(fired(s.id, fire)), processor(fired(s.id, fire))]);
    expect(outcomes.sort()).toEqual(['duplicate', 'queued']);
    expect(await processor(fired(s.id, fire))).toBe('duplicate');
    // even a later skip of the same fire time keeps the queued run
    await tdb.pool.query(`UPDATE tenants SET paused = true WHERE chat_id = $1`, [A.toString()]);
    expect(await processor(fired(s.id, fire))).toBe('duplicate');
    expect(await messagesOf(s.id)).toHaveLength(1);
    expect((await runsOf(s.id)).map((r) => r.outcome)).toEqual(['queued']);
    expect(events).toEqual([]);
  });

  it.each([
    ['tenant_paused', async () => void (await tdb.pool.query(`UPDATE tenants SET paused = true`))],
    ['session_not_linked', async () => void (await tdb.pool.query(`UPDATE whatsapp_sessions SET status = 'logged_out'`))],
    ['automatic_paused', async () => void (automaticPaused = true)],
  ])('skips with reason %s: a skipped run, a schedule.skipped event, no message', async (reason, setUp) => {
    const s = await newSchedule();
    await setUp();
    const fire = Date.now();
    expect(await processor(fired(s.id, fire))).toBe('skipped');
    expect(await messagesOf(s.id)).toEqual([]);
    expect(await runsOf(s.id)).toEqual([{ fire_time: new Date(fire), outcome: 'skipped', reason, message_id: null, held_until: null }]);
    expect(events).toEqual([{ type: 'schedule.skipped', chatId: A, data: { scheduleId: s.id, fireTime: new Date(fire).toISOString(), reason } }]);
  });

  it('holds in quiet hours with one delayed job, then sends at held_until with the ORIGINAL fire time', async () => {
    // a window over "now" in Kolkata: the current local minute to two minutes later
    const kolkataMin = (ms: number) => {
      const p = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Kolkata', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(ms);
      return Number(p.find((x) => x.type === 'hour')!.value) * 60 + Number(p.find((x) => x.type === 'minute')!.value);
    };
    const startMin = kolkataMin(clock);
    const window = { startMin, endMin: (startMin + 2) % 1440 };
    const s = await newSchedule({ quietStartMin: window.startMin, quietEndMin: window.endMin });
    const fire = clock;
    const until = quietHoursEnd(new Date(clock), 'Asia/Kolkata', window).getTime();
    expect(await processor(fired(s.id, fire))).toBe('held');
    expect(await processor(fired(s.id, fire))).toBe('held'); // a duplicate firing holds once
    expect(await runsOf(s.id)).toEqual([{ fire_time: new Date(fire), outcome: 'held', reason: 'quiet_hours', message_id: null, held_until: new Date(until) }]);
    expect(await messagesOf(s.id)).toEqual([]);
    const delayed = await queue.getDelayed();
    const held = delayed.filter((j) => j.data.scheduleId === s.id);
    expect(held.map((j) => j.id)).toEqual([heldReminderJobId(s.id, new Date(fire), 1)]);
    expect(held[0]!.name).toBe(REMINDER_HELD_JOB_NAME);
    expect(held[0]!.data).toStrictEqual({ scheduleId: s.id, chatId: A.toString(), fireTime: new Date(fire).toISOString(), hold: 1 });

    clock = until; // the re-decision runs when the window is over
    expect(await processor(held[0]!)).toBe('queued');
    const [m] = await messagesOf(s.id);
    expect(m.idempotency_key).toBe(`schedule:${s.id}:${new Date(fire).toISOString()}`);
    // held_until stays on the run: it records that quiet hours delayed this firing
    expect(await runsOf(s.id)).toEqual([{ fire_time: new Date(fire), outcome: 'queued', reason: null, message_id: m.id, held_until: new Date(until) }]);
    await held[0]!.remove();
  });

  it('a firing of a deleted or inactive schedule removes its scheduler', async () => {
    const gone = await newSchedule();
    await upsertReminderScheduler(queue, { scheduleId: gone.id, chatId: A, intervalMs: 60_000, tz: 'UTC' });
    await schedules.delete(A, gone.id);
    expect(await processor(fired(gone.id, Date.now()))).toBe('gone');
    expect(await queue.getJobScheduler(reminderSchedulerId(gone.id))).toBeUndefined();

    const off = await newSchedule({ active: false });
    await upsertReminderScheduler(queue, { scheduleId: off.id, chatId: A, intervalMs: 60_000, tz: 'UTC' });
    expect(await processor(fired(off.id, Date.now()))).toBe('skipped');
    expect(await queue.getJobScheduler(reminderSchedulerId(off.id))).toBeUndefined();
    expect((await runsOf(off.id)).map((r) => r.reason)).toEqual(['inactive']);
  });

  it('refuses a job naming another tenant than its schedule, or malformed data, and writes nothing', async () => {
    const s = await newSchedule();
    expect(await processor(fired(s.id, Date.now(), 930_002n))).toBe('refused');
    const bad = { id: 'x', name: REMINDER_JOB_NAME, data: { scheduleId: s.id, chatId: A.toString(), to: PHONE }, timestamp: 1, delay: 0 } as unknown as Job;
    expect(await processor(bad)).toBe('refused');
    expect(await runsOf(s.id)).toEqual([]);
    expect(await messagesOf(s.id)).toEqual([]);
  });
});
