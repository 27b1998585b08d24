/**
 * Re-enqueues webhook deliveries that are still `pending` but untouched for a
 * while: their job may be gone (the enqueue after the INSERT failed, or Redis
 * lost everything). Postgres holds the delivery; the job is only a pointer.
 *
 * The job id of a delivery's current series is deterministic (webhookJobId:
 * the delivery id, `<id>-s<n>` after replays), so re-adding a job that is
 * still in Redis (waiting, delayed in backoff, active) is a no-op, and every
 * worker may sweep without coordination. Edge case: a job that ended
 * (failed) without its outcome reaching Postgres leaves the delivery pending
 * while BullMQ retains that job record (7 days for failed jobs); re-adding is
 * a no-op until then. A replay (new series, new job id) unblocks it at once.
 */
import type { Logger } from '../logger.js';

export interface WebhookSweepOptions {
  pending: { pendingOlderThan(olderThanMs: number, limit: number): Promise<{ deliveryId: string; series: number }[]> };
  producer: { enqueueSeries(items: readonly { deliveryId: string; series: number }[]): Promise<void> };
  minAgeMs: number;
  intervalMs: number;
  batchSize?: number;
  logger: Logger;
}

export class WebhookSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly o: WebhookSweepOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.runOnce().catch((err: unknown) => this.o.logger.warn({ err: errName(err) }, 'webhook sweep failed'));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  /** One pass; returns how many deliveries were (re-)offered to the queue. */
  runOnce(): Promise<number> {
    this.running ??= this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async sweep(): Promise<number> {
    const items = await this.o.pending.pendingOlderThan(this.o.minAgeMs, this.o.batchSize ?? 500);
    if (items.length === 0) return 0;
    await this.o.producer.enqueueSeries(items);
    this.o.logger.debug({ count: items.length }, 'webhook sweep re-offered pending deliveries');
    return items.length;
  }
}

function errName(err: unknown): string {
  if (err instanceof Error) return (err as { code?: unknown }).code ? String((err as { code?: unknown }).code) : err.name;
  return 'unknown';
}
