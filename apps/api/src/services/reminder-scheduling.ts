import { removeReminderScheduler, upsertReminderScheduler, type ReminderQueue } from '@wa-dispatch/queue';
import type { ScheduleRecord } from '@wa-dispatch/db';
import type { Logger } from '../logger.js';

/** What became of the BullMQ Job Scheduler after a write (see ScheduleWritten in the schemas). */
export type SchedulerState = 'active' | 'none' | 'pending';

/**
 * Keeps a schedule's BullMQ Job Scheduler (`reminder:{id}`) in step with its
 * row, AFTER the row is written: Postgres is the source of truth. Redis
 * trouble never fails the request; it answers `pending` and the row stands:
 * a worker's reconcile at start recreates a missing scheduler, and a firing
 * whose row is gone or inactive removes its own scheduler.
 */
export class ReminderScheduling {
  constructor(
    private readonly o: {
      /** Absent in tests of other features: every write is then `pending`. */
      queue: ReminderQueue | undefined;
      logger: Logger;
      timeoutMs: number;
    },
  ) {}

  async sync(row: ScheduleRecord): Promise<SchedulerState> {
    if (!row.active) return (await this.remove(row.id)) ? 'none' : 'pending';
    const q = this.o.queue;
    if (!q) return 'pending';
    return this.guard(row.id, 'upsert', async () => {
      const exists = await upsertReminderScheduler(q, {
        scheduleId: row.id,
        chatId: row.chatId,
        cron: row.cron,
        intervalMs: row.intervalMs,
        tz: row.timezone,
        startAt: row.startAt,
        endAt: row.endAt,
      });
      return exists ? 'active' : 'none';
    });
  }

  /** True when Redis answered (whether or not a scheduler existed). */
  async remove(scheduleId: string): Promise<boolean> {
    const q = this.o.queue;
    if (!q) return false;
    return (await this.guard(scheduleId, 'remove', async () => (await removeReminderScheduler(q, scheduleId), 'none'))) === 'none';
  }

  private async guard(scheduleId: string, op: string, fn: () => Promise<SchedulerState>): Promise<SchedulerState> {
    let timer: NodeJS.Timeout | undefined;
    const running = fn();
    running.catch(() => undefined);
    try {
      return await Promise.race([
        running,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`scheduler ${op} timed out after ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
        }),
      ]);
    } catch (err) {
      this.o.logger.warn(
        { scheduleId, op, err: err instanceof Error ? err.message.slice(0, 200) : 'unknown' },
        'reminder scheduler not updated; the row is saved and the worker reconcile will fix the scheduler',
      );
      return 'pending';
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
