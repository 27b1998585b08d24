import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFor } from '@wa-dispatch/core';
import { REMINDER_JOB_NAME, createRemindersQueue, reminderSchedulerId } from '@wa-dispatch/queue';
import type { SimulatorControl } from '@wa-dispatch/whatsapp';
import { ROOMY_LIMITS, startStack, type E2eStack } from './support/e2e-stack.js';
import { waitUntil } from './support/wait-until.js';
import type { WorkerProcess } from './support/worker-process.js';

// Issue 6, "Reminder schedules", end to end with real processes: the API
// writes schedules (Postgres, then the BullMQ Job Scheduler), a worker
// process fires them through the tenant's own session in the simulator.
const SHARDS = 2;
const ZONE = 'Asia/Kolkata'; // UTC+05:30: a wrong zone would be off by hours
const ADMIN = 'reminders-admin-key-0123456789abcdefghijklmnopqrstu';
const A = { chatId: 640_000_001n, phone: '5511987640001' };
const B = { chatId: -1_000_640_000_002n, phone: '5511987640002' };
const R = { cron: '5521970640001', interval: '5521970640002', paused: '5521970640003', quiet: '5521970640004' };

let stack: E2eStack;
let worker: WorkerProcess;
let control: SimulatorControl;
let queue: ReturnType<typeof createRemindersQueue>;
const keys = new Map<bigint, string>();
/** Left the tenant's session (receipts may already have moved it on). */
const SENT = new Set(['sent', 'delivered', 'read']);
const call: E2eStack['call'] = (...args) => stack.call(...args);

/** Parts of an instant's wall clock in ZONE. */
function local(ms: number): Record<'second' | 'minute' | 'hour' | 'day' | 'month', number> {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE,
    second: '2-digit',
    minute: '2-digit',
    hour: '2-digit',
    day: '2-digit',
    month: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(ms);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return { second: get('second'), minute: get('minute'), hour: get('hour'), day: get('day'), month: get('month') };
}

/** A 6-field cron (seconds first) that matches exactly the instant `ms`, written in ZONE's local time. */
function cronAt(ms: number): string {
  const l = local(ms);
  return `${l.second} ${l.minute} ${l.hour} ${l.day} ${l.month} *`;
}

const hhmm = (min: number) => `${String(Math.floor(min / 60) % 24).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
const wholeSecondAfter = (ms: number) => Math.ceil(ms / 1000) * 1000;

async function createSchedule(chatId: bigint, body: Record<string, unknown>): Promise<string> {
  const res = await call('POST', `/v1/tenants/${chatId}/schedules`, keys.get(chatId)!, {
    template: 'Oi {{name}}, sua fatura de {{amount}} vence em {{due_date}}',
    variables: { name: 'Ana', amount: 'R$ 10,00', due_date: '10/12' },
    timezone: ZONE,
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.scheduler).toBe('active');
  return res.body.id as string;
}

async function runsOf(chatId: bigint, id: string) {
  const res = await call('GET', `/v1/tenants/${chatId}/schedules/${id}/runs`, keys.get(chatId)!);
  expect(res.status).toBe(200);
  return res.body.items as { fireTime: string; outcome: string; reason: string | null; heldUntil: string | null; messageId: string | null; message: { status: string } | null }[];
}

async function outboxOf(scheduleId: string) {
  const { rows } = await stack.db.pool.query(`SELECT id, idempotency_key, source, status, created_at FROM messages WHERE schedule_id = $1 ORDER BY id`, [scheduleId]);
  return rows;
}

async function schedulerKeys(): Promise<string[]> {
  return (await queue.getJobSchedulers(0, -1)).map((s) => s.key).sort();
}

// The quiet-hours case waits for a whole local minute to end (quiet hours have
// minute resolution), so it is set up first and checked last; the other cases
// run in between.
const quiet = { id: '', fireMs: 0, endMs: 0 };

beforeAll(async () => {
  stack = await startStack({
    name: 'reminders',
    shards: SHARDS,
    adminKey: ADMIN,
    workerEnv: { REMINDER_RECONCILE_INTERVAL_MS: '3600000' },
    workers: ['rem-w1'],
  });
  [worker] = stack.workers as [WorkerProcess];
  control = stack.control;
  queue = createRemindersQueue({ connection: stack.dispatch.client, prefix: stack.dispatch.prefix });
  stack.onStop(() => queue.close());
  for (const t of [A, B]) keys.set(t.chatId, await stack.createTenant(t.chatId, { limits: ROOMY_LIMITS }));
  await stack.linkAll([A, B]);

  // quiet hours: a window of one local minute in ZONE, containing the fire time
  let fire = wholeSecondAfter(Date.now() + 3_000);
  let end = Math.floor(fire / 60_000) * 60_000 + 60_000;
  if (end - fire < 2_000) {
    fire = end + 1_000;
    end += 60_000;
  }
  const startMin = local(fire).hour * 60 + local(fire).minute;
  quiet.fireMs = fire;
  quiet.endMs = end;
  quiet.id = await createSchedule(A.chatId, { to: R.quiet, cron: cronAt(fire), quietHours: { start: hhmm(startMin), end: hhmm(startMin + 1) } });
}, 90_000);

afterAll(() => stack?.stop());

describe('reminder schedules (API + worker process + simulator)', () => {
  let cronId = '';
  let cronFire = 0;

  it('a cron with seconds in Asia/Kolkata fires at that instant, through the tenant’s own session', async () => {
    cronFire = wholeSecondAfter(Date.now() + 3_000);
    cronId = await createSchedule(A.chatId, { to: R.cron, cron: cronAt(cronFire) });
    const [run] = (await waitUntil(async () => {
      const runs = await runsOf(A.chatId, cronId);
      return SENT.has(runs[0]?.message?.status ?? '') ? runs : undefined;
    }, 'the cron firing to be sent', 20_000, 100))!;
    expect(run).toMatchObject({ fireTime: new Date(cronFire).toISOString(), outcome: 'queued' });
    const [m, ...rest] = await outboxOf(cronId);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({ id: run!.messageId, source: 'schedule', idempotency_key: `schedule:${cronId}:${new Date(cronFire).toISOString()}` });
    const sent = await control.sent({ to: R.cron });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ sessionId: sessionIdFor(A.chatId), fromNumber: A.phone, text: 'Oi Ana, sua fatura de R$ 10,00 vence em 10/12' });
    expect(sent[0]!.at).toBeGreaterThanOrEqual(cronFire);
  });

  it('a duplicate firing of the same fire time sends once', async () => {
    // a second job for the same fire time, as a retried or doubled scheduler run would be
    const job = await queue.add(REMINDER_JOB_NAME, { scheduleId: cronId, chatId: A.chatId.toString() }, { jobId: `dup:${cronId}:${cronFire}` });
    await waitUntil(async () => (await job.getState()) === 'completed', 'the duplicate job to be processed', 15_000, 100);
    expect(await job.getState()).toBe('completed');
    expect(await outboxOf(cronId)).toHaveLength(1);
    expect(await control.sentCount({ to: R.cron })).toBe(1);
    expect(await runsOf(A.chatId, cronId)).toHaveLength(1);
  });

  it('a short interval fires repeatedly; deleting the schedule removes its Job Scheduler', async () => {
    const id = await createSchedule(B.chatId, { to: R.interval, intervalMs: 1_500 });
    await waitUntil(async () => (await control.sentCount({ to: R.interval })) >= 2, 'two interval sends', 20_000, 100);
    for (const s of await control.sent({ to: R.interval })) expect(s.sessionId).toBe(sessionIdFor(B.chatId));
    const fires = (await runsOf(B.chatId, id)).map((r) => Date.parse(r.fireTime));
    expect(new Set(fires).size).toBe(fires.length);
    expect(await schedulerKeys()).toContain(reminderSchedulerId(id));

    expect((await call('DELETE', `/v1/tenants/${B.chatId}/schedules/${id}`, keys.get(B.chatId)!)).status).toBe(204);
    expect(await schedulerKeys()).not.toContain(reminderSchedulerId(id));
    expect((await call('GET', `/v1/tenants/${B.chatId}/schedules/${id}`, keys.get(B.chatId)!)).status).toBe(404);
  });

  it('a paused tenant’s firing is recorded as skipped (tenant_paused) and nothing is sent', async () => {
    expect((await call('POST', `/v1/tenants/${B.chatId}/pause`, keys.get(B.chatId)!)).status).toBe(200);
    const fire = wholeSecondAfter(Date.now() + 2_000);
    const id = await createSchedule(B.chatId, { to: R.paused, cron: cronAt(fire) });
    const [run] = (await waitUntil(async () => {
      const runs = await runsOf(B.chatId, id);
      return runs.length ? runs : undefined;
    }, 'the paused firing to be recorded', 15_000, 100))!;
    expect(run).toMatchObject({ fireTime: new Date(fire).toISOString(), outcome: 'skipped', reason: 'tenant_paused', messageId: null });
    expect(await outboxOf(id)).toEqual([]);
    expect(await control.sentCount({ to: R.paused })).toBe(0);
    expect((await call('POST', `/v1/tenants/${B.chatId}/resume`, keys.get(B.chatId)!)).status).toBe(200);
  });

  it('quiet hours hold the firing: run held until the window ends, nothing sent yet', async () => {
    const [run] = (await waitUntil(async () => {
      const runs = await runsOf(A.chatId, quiet.id);
      return runs.length ? runs : undefined;
    }, 'the quiet firing to be recorded', 70_000, 100))!;
    // held_until stays on the run once it is queued, so the hold is provable even
    // if the window already ended while this file ran (the last test checks the send time)
    expect(run).toMatchObject({ fireTime: new Date(quiet.fireMs).toISOString(), heldUntil: new Date(quiet.endMs).toISOString() });
    expect(['held', 'queued']).toContain(run!.outcome);
    if (run!.outcome === 'held') {
      expect(run!.reason).toBe('quiet_hours');
      if (Date.now() < quiet.endMs - 200) expect(await control.sentCount({ to: R.quiet })).toBe(0);
    }
  }, 80_000);

  it('restarting the worker reconciles: a missing scheduler is recreated, a stray one removed', async () => {
    const kept = await createSchedule(A.chatId, { to: R.cron, cron: '0 0 9 1 1 *' });
    await worker.stop();
    // behind the API's back, while no worker runs
    expect(await queue.removeJobScheduler(reminderSchedulerId(kept))).toBe(true);
    const stray = reminderSchedulerId('01900000-0000-7000-8000-0000000000ff');
    await queue.upsertJobScheduler(stray, { pattern: '0 0 9 1 1 *', tz: ZONE }, { name: REMINDER_JOB_NAME, data: { scheduleId: '01900000-0000-7000-8000-0000000000ff', chatId: A.chatId.toString() } });
    expect(await schedulerKeys()).toContain(stray);

    worker = await stack.spawnWorker('rem-w2');
    const line = await worker.waitForLog((l) => l.msg === 'reminder schedulers reconciled');
    expect(line).toMatchObject({ created: 1, removed: 1 });
    const after = await schedulerKeys();
    expect(after).toContain(reminderSchedulerId(kept));
    expect(after).not.toContain(stray);
    expect((await queue.getJobScheduler(reminderSchedulerId(kept)))?.tz).toBe(ZONE);
  }, 60_000);

  it('the held firing is sent once after the window, with its original fire time', async () => {
    const [run] = (await waitUntil(async () => {
      const runs = await runsOf(A.chatId, quiet.id);
      return SENT.has(runs[0]?.message?.status ?? '') ? runs : undefined;
    }, 'the held firing to be sent', 90_000, 200))!;
    expect(run).toMatchObject({ fireTime: new Date(quiet.fireMs).toISOString(), outcome: 'queued' });
    const [m, ...rest] = await outboxOf(quiet.id);
    expect(rest).toEqual([]);
    expect(m.idempotency_key).toBe(`schedule:${quiet.id}:${new Date(quiet.fireMs).toISOString()}`);
    // the message was made only when the quiet window was over
    expect(new Date(m.created_at).getTime()).toBeGreaterThanOrEqual(quiet.endMs);
    const sent = await control.sent({ to: R.quiet });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.at).toBeGreaterThanOrEqual(quiet.endMs);
    expect(sent[0]!.sessionId).toBe(sessionIdFor(A.chatId));
  }, 100_000);
});
