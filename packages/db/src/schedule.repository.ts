import type { Db } from './prisma-client.js';
import { uuidv7 } from './uuid-v7.js';
import type { MessageStatus } from './generated/prisma/enums.js';
import type { Prisma } from './generated/prisma/client.js';

export type ScheduleVariables = Record<string, string | number>;

export interface NewSchedule {
  chatId: bigint;
  toPhone: string;
  template: string;
  variables: ScheduleVariables;
  cron: string | null;
  intervalMs: number | null;
  timezone: string;
  startAt: Date | null;
  endAt: Date | null;
  /** Quiet window in minutes after midnight in `timezone`; both null or both set. */
  quietStartMin: number | null;
  quietEndMin: number | null;
  active: boolean;
}

/** A stored schedule: what was created plus its id and timestamps. */
export interface ScheduleRecord extends NewSchedule {
  id: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A full replacement of the mutable columns (the caller merges and validates). */
export type ScheduleUpdate = Omit<NewSchedule, 'chatId'>;

export type RunOutcome = 'queued' | 'held' | 'skipped' | 'failed';

export interface RunUpsert {
  scheduleId: string;
  fireTime: Date;
  outcome: RunOutcome;
  reason?: string | null;
  messageId?: string | null;
  heldUntil?: Date | null;
}

export interface ScheduleRunView {
  id: string;
  scheduleId: string;
  fireTime: Date;
  outcome: RunOutcome;
  reason: string | null;
  messageId: string | null;
  heldUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** The outbox message's current state, when the run made one (and it still exists). */
  message: { status: MessageStatus; sentAt: Date | null; errorCode: string | null } | null;
}

const SELECT = {
  id: true,
  chatId: true,
  toPhone: true,
  template: true,
  variables: true,
  cron: true,
  intervalMs: true,
  timezone: true,
  startAt: true,
  endAt: true,
  quietStartMin: true,
  quietEndMin: true,
  active: true,
  createdAt: true,
  updatedAt: true,
} as const;

type Row = Omit<ScheduleRecord, 'variables'> & { variables: Prisma.JsonValue };

function toRecord(row: Row): ScheduleRecord {
  const v = row.variables;
  // written only by this repository from validated input; anything else reads as no variables
  const variables = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as ScheduleVariables) : {};
  return { ...row, variables };
}

interface RunRow {
  id: string;
  schedule_id: string;
  fire_time: Date;
  outcome: RunOutcome;
  reason: string | null;
  message_id: string | null;
  held_until: Date | null;
  created_at: Date;
  updated_at: Date;
  m_status: MessageStatus | null;
  m_sent_at: Date | null;
  m_error_code: string | null;
}

function toRun(r: RunRow): ScheduleRunView {
  return {
    id: r.id,
    scheduleId: r.schedule_id,
    fireTime: r.fire_time,
    outcome: r.outcome,
    reason: r.reason,
    messageId: r.message_id,
    heldUntil: r.held_until,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    message: r.m_status === null ? null : { status: r.m_status, sentAt: r.m_sent_at, errorCode: r.m_error_code },
  };
}

/**
 * Reminder schedules (the source of truth the BullMQ Job Schedulers are
 * derived from) and what each firing did. Every tenant-facing call is keyed
 * by (chat_id, id): another tenant's schedule is indistinguishable from none.
 */
export class ScheduleRepository {
  constructor(private readonly db: Db) {}

  async create(input: NewSchedule): Promise<ScheduleRecord> {
    return toRecord(await this.db.reminderSchedule.create({ data: input, select: SELECT }));
  }

  async findForTenant(chatId: bigint, id: string): Promise<ScheduleRecord | null> {
    const row = await this.db.reminderSchedule.findFirst({ where: { id, chatId }, select: SELECT });
    return row ? toRecord(row) : null;
  }

  /** For the reminder processor: the job names the id; the caller checks the tenant. */
  async findById(id: string): Promise<ScheduleRecord | null> {
    const row = await this.db.reminderSchedule.findUnique({ where: { id }, select: SELECT });
    return row ? toRecord(row) : null;
  }

  /** Oldest first, keyset-paginated by id (UUIDv7); `cursor` is the last id of the previous page. */
  async listForTenant(chatId: bigint, opts: { cursor?: string; limit: number }): Promise<{ items: ScheduleRecord[]; nextCursor: string | null }> {
    const rows = await this.db.reminderSchedule.findMany({
      where: { chatId, ...(opts.cursor ? { id: { gt: opts.cursor } } : {}) },
      select: SELECT,
      orderBy: { id: 'asc' },
      take: opts.limit + 1,
    });
    const items = rows.slice(0, opts.limit).map(toRecord);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > opts.limit && last ? last.id : null };
  }

  /** Every active schedule of the deployment, for the worker's reconcile at start. */
  async listActive(): Promise<ScheduleRecord[]> {
    const rows = await this.db.reminderSchedule.findMany({ where: { active: true }, select: SELECT, orderBy: { id: 'asc' } });
    return rows.map(toRecord);
  }

  /** Replaces the mutable columns; null if no such schedule for this tenant. */
  async update(chatId: bigint, id: string, next: ScheduleUpdate): Promise<ScheduleRecord | null> {
    const { count } = await this.db.reminderSchedule.updateMany({ where: { id, chatId }, data: next });
    return count === 1 ? this.findForTenant(chatId, id) : null;
  }

  /** Its runs go with it (FK cascade); its messages stay, with schedule_id set to null. */
  async delete(chatId: bigint, id: string): Promise<boolean> {
    const { count } = await this.db.reminderSchedule.deleteMany({ where: { id, chatId } });
    return count === 1;
  }

  /**
   * Records what a firing did, one row per (schedule, fire time). A run that
   * already made its message (`queued`) is never overwritten: a duplicate or
   * late firing of the same fire time cannot hide the message it sent.
   * Returns the stored run (which may be the earlier `queued` one).
   */
  async upsertRun(run: RunUpsert): Promise<ScheduleRunView> {
    const rows = await this.db.$queryRaw<RunRow[]>`
      WITH up AS (
        INSERT INTO schedule_runs (id, schedule_id, fire_time, outcome, reason, message_id, held_until)
        VALUES (${uuidv7()}::uuid, ${run.scheduleId}::uuid, ${run.fireTime}, ${run.outcome}, ${run.reason ?? null}::varchar,
                ${run.messageId ?? null}::uuid, ${run.heldUntil ?? null}::timestamptz)
        ON CONFLICT (schedule_id, fire_time) DO UPDATE
          SET outcome = EXCLUDED.outcome, reason = EXCLUDED.reason, message_id = EXCLUDED.message_id,
              held_until = COALESCE(EXCLUDED.held_until, schedule_runs.held_until), updated_at = now()
          WHERE schedule_runs.outcome <> 'queued'
        RETURNING *
      )
      SELECT up.*, NULL::message_status AS m_status, NULL::timestamptz AS m_sent_at, NULL::varchar AS m_error_code FROM up`;
    const row = rows[0];
    if (row) return toRun(row);
    const existing = await this.findRun(run.scheduleId, run.fireTime);
    if (!existing) throw new Error('schedule run upsert returned no row and none exists');
    return existing;
  }

  async findRun(scheduleId: string, fireTime: Date): Promise<ScheduleRunView | null> {
    const rows = await this.db.$queryRaw<RunRow[]>`
      SELECT r.*, m.status AS m_status, m.sent_at AS m_sent_at, m.error_code AS m_error_code
      FROM schedule_runs r LEFT JOIN messages m ON m.id = r.message_id
      WHERE r.schedule_id = ${scheduleId}::uuid AND r.fire_time = ${fireTime}`;
    return rows[0] ? toRun(rows[0]) : null;
  }

  /**
   * A tenant's schedule's runs, newest fire time first, with each message's
   * current status; `before` (a fire time) pages backwards. Empty for another
   * tenant's schedule.
   */
  async listRuns(chatId: bigint, scheduleId: string, opts: { before?: Date; limit: number }): Promise<{ items: ScheduleRunView[]; nextBefore: Date | null }> {
    const rows = await this.db.$queryRaw<RunRow[]>`
      SELECT r.*, m.status AS m_status, m.sent_at AS m_sent_at, m.error_code AS m_error_code
      FROM schedule_runs r
      JOIN reminder_schedules s ON s.id = r.schedule_id AND s.chat_id = ${chatId}
      -- the message must be this tenant's too (defence in depth: ids come from one row)
      LEFT JOIN messages m ON m.id = r.message_id AND m.chat_id = ${chatId}
      WHERE r.schedule_id = ${scheduleId}::uuid
        AND (${opts.before ?? null}::timestamptz IS NULL OR r.fire_time < ${opts.before ?? null}::timestamptz)
      ORDER BY r.fire_time DESC
      LIMIT ${opts.limit + 1}`;
    const items = rows.slice(0, opts.limit).map(toRun);
    const last = items[items.length - 1];
    return { items, nextBefore: rows.length > opts.limit && last ? last.fireTime : null };
  }
}
