/**
 * Reminder schedules in a worker process: the reminders queue (one per
 * deployment, no shard: every worker process consumes it), its Worker, and
 * the reconcile of BullMQ Job Schedulers against Postgres — at start and
 * every REMINDER_RECONCILE_INTERVAL_MS. Postgres is the source of truth: a
 * scheduler without an active row is removed, an active row without a
 * scheduler is recreated.
 */
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { MessageIntake, type SendEnqueuer, type TenantEventSink } from '@wa-dispatch/core';
import { OutboxRepository, ScheduleRepository, TenantRepository, type Db } from '@wa-dispatch/db';
import {
  REMINDERS_QUEUE_NAME,
  createQueueConnection,
  createRemindersQueue,
  reconcileReminderSchedulers,
  type ReconcileResult,
} from '@wa-dispatch/queue';
import type { Logger } from '../logger.js';
import type { WorkerMetrics } from '../metrics.js';
import { createReminderProcessor } from './reminder.processor.js';

export interface RemindersOptions {
  db: Db;
  /** Shared producer-side connection (queue calls, held re-decisions). */
  redis: Redis;
  redisUrl: string;
  prefix: string;
  /** The worker's SendProducer: reminder messages enter their tenant's shard queue like API sends. */
  enqueuer: SendEnqueuer;
  automaticPaused(): Promise<boolean>;
  events: TenantEventSink;
  logger: Logger;
  metrics: WorkerMetrics;
  reconcileIntervalMs: number;
  concurrency?: number;
}

export interface RunningReminders {
  reconcileNow(): Promise<ReconcileResult>;
  stop(): Promise<void>;
}

export async function startReminders(o: RemindersOptions): Promise<RunningReminders> {
  const log = o.logger.child({ component: 'reminders' });
  const queue = createRemindersQueue({ connection: o.redis, prefix: o.prefix });
  const schedules = new ScheduleRepository(o.db);
  const tenants = new TenantRepository(o.db);
  // the API's accept-a-send path, wired to the same adapters
  const intake = new MessageIntake({
    tenants,
    outbox: new OutboxRepository(o.db),
    enqueuer: o.enqueuer,
    enqueueTimeoutMs: 2_000,
    hooks: {
      enqueueFailed: (job, err) =>
        log.warn(
          { messageId: job.messageId, chatId: job.chatId, err: err instanceof Error ? err.message.slice(0, 200) : 'unknown' },
          'enqueue failed; the outbox reconciler will re-enqueue this message',
        ),
    },
  });

  const reconcileNow = async (): Promise<ReconcileResult> => {
    const rows = await schedules.listActive();
    const result = await reconcileReminderSchedulers(
      queue,
      rows.map((r) => ({
        scheduleId: r.id,
        chatId: r.chatId,
        cron: r.cron,
        intervalMs: r.intervalMs,
        tz: r.timezone,
        startAt: r.startAt,
        endAt: r.endAt,
        active: r.active,
      })),
    );
    log.info({ rows: rows.length, ...result }, 'reminder schedulers reconciled');
    return result;
  };

  // before taking jobs, so a restart fixes what Redis lost or kept by mistake
  await reconcileNow().catch((err: unknown) => log.warn({ err }, 'reminder reconcile at start failed'));

  const worker = new Worker(
    REMINDERS_QUEUE_NAME,
    createReminderProcessor({
      schedules,
      tenants,
      intake,
      automaticPaused: o.automaticPaused,
      queue,
      events: o.events,
      logger: log,
      onOutcome: (outcome) => o.metrics.reminderFirings.inc({ outcome }),
    }),
    {
      connection: createQueueConnection({ url: o.redisUrl, role: 'worker' }),
      prefix: o.prefix,
      concurrency: o.concurrency ?? 4,
    },
  );
  worker.on('error', (err) => log.error({ err }, 'reminders worker error'));
  worker.on('failed', (job, err) => log.warn({ jobId: job?.id, err: err.message.slice(0, 200) }, 'reminder job failed'));

  const timer = setInterval(() => {
    void reconcileNow().catch((err: unknown) => log.warn({ err }, 'reminder reconcile failed'));
  }, o.reconcileIntervalMs);
  timer.unref();

  return {
    reconcileNow,
    async stop() {
      clearInterval(timer);
      await worker.close();
      await worker.disconnect().catch(() => undefined);
      await queue.close();
    },
  };
}
