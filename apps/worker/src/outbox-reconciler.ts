/**
 * Postgres is the source of truth; Redis may lose every job. Rows still
 * `queued` (or interrupted in `sending`) whose job is gone from their shard's
 * queue are enqueued again under the same job id, so an accepted message is
 * never lost and never doubled (the dispatcher's compare-and-set and the
 * interrupted-send check guard the rest).
 */
import type { Db } from '@wa-dispatch/db';
import type { SendProducer } from '@wa-dispatch/queue';
import type { Logger } from './logger.js';
import type { WorkerMetrics } from './metrics.js';

export interface OutboxReconcilerOptions {
  db: Db;
  producer: SendProducer;
  ownedShards: () => readonly number[];
  /** Rows younger than this are left alone: their enqueue may still be in flight. */
  minAgeMs: number;
  intervalMs: number;
  batchSize?: number;
  logger: Logger;
  metrics: WorkerMetrics;
}

interface PendingRow {
  id: string;
  chat_id: bigint;
  session_id: string;
}

export class OutboxReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly o: OutboxReconcilerOptions) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        await this.runOnce().catch((err) => this.o.logger.error({ err }, 'reconcile failed'));
        tick();
      }, this.o.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass over the owned shards (or the given ones); returns how many jobs were restored. */
  runOnce(shards: readonly number[] = this.o.ownedShards()): Promise<number> {
    if (this.running) return this.running;
    this.running = this.pass(shards).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(shards: readonly number[]): Promise<number> {
    if (shards.length === 0) return 0;
    const batch = this.o.batchSize ?? 500;
    const cutoff = new Date(Date.now() - this.o.minAgeMs);
    let cursor = '00000000-0000-0000-0000-000000000000';
    let restored = 0;
    for (;;) {
      const rows = await this.o.db.$queryRaw<PendingRow[]>`
        SELECT m.id, m.chat_id, m.session_id
        FROM messages m JOIN whatsapp_sessions s ON s.session_id = m.session_id
        WHERE s.shard = ANY(${[...shards]}::int[])
          AND m.status IN ('queued', 'sending')
          AND m.updated_at < ${cutoff}
          AND m.id > ${cursor}::uuid
        ORDER BY m.id
        LIMIT ${batch}`;
      if (rows.length === 0) break;
      cursor = rows[rows.length - 1]!.id;
      for (const row of rows) {
        const job = { messageId: row.id, chatId: row.chat_id.toString(), sessionId: row.session_id };
        if (await this.o.producer.restore(job)) restored++;
      }
      if (rows.length < batch) break;
    }
    if (restored > 0) {
      this.o.metrics.reconciled.inc(restored);
      this.o.logger.info({ restored, shards: shards.length }, 'outbox rows re-enqueued');
    }
    return restored;
  }
}
