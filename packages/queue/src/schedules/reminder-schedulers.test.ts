import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { idempotencyKeyFor } from '@wa-dispatch/core';
import { REMINDERS_QUEUE_NAME } from '../key-layout.js';
import { createQueueConnection } from '../queue-connection.js';
import { waitFor } from '../test-support/wait-for.js';
import {
  REMINDER_JOB_NAME,
  reconcileReminderSchedulers,
  reminderFireTime,
  reminderSchedulerId,
  removeReminderScheduler,
  upsertReminderScheduler,
  type ReminderJobData,
  type ReminderScheduleRow,
} from './reminder-schedulers.js';

describe('reminder schedulers (real Redis)', () => {
  let redis: TestRedis;
  let queue: Queue<ReminderJobData>;
  const workers: Worker[] = [];

  beforeAll(async () => {
    redis = await createTestRedis('reminder-schedulers');
    queue = new Queue<ReminderJobData>(REMINDERS_QUEUE_NAME, {
      connection: createQueueConnection({ url: redis.url, role: 'producer' }),
      prefix: redis.prefix,
    });
  });
  beforeEach(async () => {
    await redis.wipe();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.close(true);
  });
  afterAll(async () => {
    await queue.close();
    await redis.close();
  });

  function startWorker(seen: Job<ReminderJobData>[]): Worker {
    const w = new Worker<ReminderJobData>(
      REMINDERS_QUEUE_NAME,
      async (job) => {
        seen.push(job);
      },
      { connection: createQueueConnection({ url: redis.url, role: 'worker' }), prefix: redis.prefix },
    );
    workers.push(w);
    return w;
  }

  it('upserts a scheduler reminder:{id} carrying only ids; upsert replaces; remove deletes', async () => {
    const id = randomUUID();
    const start = new Date(Date.now() + 3_600_000);
    const end = new Date(Date.now() + 30 * 86_400_000);
    expect(
      await upsertReminderScheduler(queue, { scheduleId: id, chatId: 777n, cron: '0 9 * * *', tz: 'America/Sao_Paulo', startAt: start, endAt: end }),
    ).toBe(true);
    const s = await queue.getJobScheduler(reminderSchedulerId(id));
    expect(s?.key).toBe(`reminder:${id}`);
    expect(s?.pattern).toBe('0 9 * * *');
    expect(s?.tz).toBe('America/Sao_Paulo');
    expect(s?.startDate).toBe(start.getTime());
    expect(s?.endDate).toBe(end.getTime());
    expect(s?.name).toBe(REMINDER_JOB_NAME);
    expect(s?.template?.data).toStrictEqual({ scheduleId: id, chatId: '777' });

    await upsertReminderScheduler(queue, { scheduleId: id, chatId: 777n, intervalMs: 60_000, tz: 'UTC' });
    expect(await queue.getJobSchedulersCount()).toBe(1);
    const s2 = await queue.getJobScheduler(reminderSchedulerId(id));
    expect(s2?.every).toBe(60_000);
    expect(s2?.pattern).toBeUndefined();

    expect(await removeReminderScheduler(queue, id)).toBe(true);
    expect(await queue.getJobScheduler(reminderSchedulerId(id))).toBeUndefined();
    expect(await removeReminderScheduler(queue, id)).toBe(false);
  });

  it('an ended schedule has no scheduler; cron xor interval is enforced', async () => {
    const id = randomUUID();
    await upsertReminderScheduler(queue, { scheduleId: id, chatId: 1n, intervalMs: 60_000, tz: 'UTC' });
    expect(
      await upsertReminderScheduler(queue, { scheduleId: id, chatId: 1n, intervalMs: 60_000, tz: 'UTC', endAt: new Date(Date.now() - 1) }),
    ).toBe(false);
    expect(await queue.getJobSchedulersCount()).toBe(0);
    // no 09:00 run left before the end: BullMQ stores nothing, and we say so
    const soon = new Date(Date.now() + 60_000);
    const nine = `${(new Date().getUTCMinutes() + 30) % 60} * * * *`;
    expect(await upsertReminderScheduler(queue, { scheduleId: id, chatId: 1n, cron: nine, tz: 'UTC', endAt: soon })).toBe(false);
    expect(await queue.getJobSchedulersCount()).toBe(0);
    await expect(upsertReminderScheduler(queue, { scheduleId: id, chatId: 1n, tz: 'UTC' })).rejects.toMatchObject({
      code: 'SCHEDULE.INVALID',
    });
    await expect(
      upsertReminderScheduler(queue, { scheduleId: id, chatId: 1n, tz: 'UTC', cron: '* * * * *', intervalMs: 1000 }),
    ).rejects.toMatchObject({ code: 'SCHEDULE.INVALID' });
  });

  it('reconciles: orphan removed, missing created, changed re-upserted, others untouched', async () => {
    const [kept, orphan, changed, missing, inactive] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const row = (scheduleId: string, extra: Partial<ReminderScheduleRow> = {}): ReminderScheduleRow => ({
      scheduleId,
      chatId: 42n,
      cron: '0 9 * * *',
      tz: 'America/Sao_Paulo',
      active: true,
      ...extra,
    });
    await upsertReminderScheduler(queue, row(kept));
    await upsertReminderScheduler(queue, row(orphan));
    await upsertReminderScheduler(queue, row(changed));
    await upsertReminderScheduler(queue, row(inactive));
    await queue.upsertJobScheduler('not-a-reminder', { every: 3_600_000 }, { name: 'other' });

    const rows = [
      row(kept),
      row(changed, { cron: '0 10 * * *', tz: 'Europe/Berlin' }),
      row(missing, { cron: null, intervalMs: 30_000 }),
      row(inactive, { active: false }),
    ];
    expect(await reconcileReminderSchedulers(queue, rows)).toEqual({ created: 1, removed: 2, updated: 1 });

    const keys = (await queue.getJobSchedulers()).map((s) => s.key).sort();
    expect(keys).toEqual(
      ['not-a-reminder', reminderSchedulerId(kept), reminderSchedulerId(changed), reminderSchedulerId(missing)].sort(),
    );
    const c = await queue.getJobScheduler(reminderSchedulerId(changed));
    expect(c?.pattern).toBe('0 10 * * *');
    expect(c?.tz).toBe('Europe/Berlin');
    expect((await queue.getJobScheduler(reminderSchedulerId(missing)))?.every).toBe(30_000);

    // idempotent
    expect(await reconcileReminderSchedulers(queue, rows)).toEqual({ created: 0, removed: 0, updated: 0 });
    // Redis lost everything: every active row comes back
    await redis.wipe();
    expect(await reconcileReminderSchedulers(queue, rows)).toEqual({ created: 3, removed: 0, updated: 0 });
  });

  it('every: 1000 fires repeatedly; jobs carry only ids', async () => {
    const id = randomUUID();
    const seen: Job<ReminderJobData>[] = [];
    startWorker(seen);
    await upsertReminderScheduler(queue, { scheduleId: id, chatId: 5551234n, intervalMs: 1000, tz: 'UTC' });
    await waitFor(() => seen.length >= 2, 3_500);
    for (const job of seen) {
      expect(job.name).toBe(REMINDER_JOB_NAME);
      expect(job.data).toStrictEqual({ scheduleId: id, chatId: '5551234' });
    }
    const times = seen.map((j) => reminderFireTime(j).getTime());
    expect(new Set(times).size).toBe(times.length);
    expect(idempotencyKeyFor(id, reminderFireTime(seen[0] as Job))).toMatch(/^schedule:[0-9a-f-]+:\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    await removeReminderScheduler(queue, id);
  });

  it('a cron with seconds in America/Sao_Paulo fires on whole seconds', async () => {
    const id = randomUUID();
    const seen: Job<ReminderJobData>[] = [];
    startWorker(seen);
    await upsertReminderScheduler(queue, { scheduleId: id, chatId: 9n, cron: '*/1 * * * * *', tz: 'America/Sao_Paulo' });
    await waitFor(() => seen.length >= 1, 3_500);
    const first = seen[0] as Job<ReminderJobData>;
    expect(first.data).toStrictEqual({ scheduleId: id, chatId: '9' });
    expect(reminderFireTime(first).getTime() % 1000).toBe(0);
    await removeReminderScheduler(queue, id);
  });
});
