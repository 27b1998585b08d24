/**
 * Adds webhook delivery jobs. The `webhook_deliveries` row must exist first
 * (Postgres is the source of truth); the job carries only its id.
 * - first series: jobId = deliveryId, so enqueueing twice is a no-op while the
 *   job is still in Redis;
 * - replay: the delivery is reopened (`pending`) in the store, scoped to the
 *   caller's tenant, in a new attempt series n, and job `<id>-s<n>` runs it
 *   (webhookJobId); a job of an older series still in Redis is skipped by the
 *   processor, so two series never both deliver;
 * - `enqueueSeries` re-adds the job of a delivery's current series (the
 *   worker's sweep of pending deliveries): a no-op while that job is in Redis.
 */
import { Queue, type DefaultJobOptions } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { AppError, type WebhookDeliveryStore } from '@wa-dispatch/core';
import { WEBHOOK_BACKOFF_TYPE, WEBHOOK_DELIVERY_JOB_NAME, WebhookJobData, webhookJobId } from './webhook-job.js';

export type WebhookRedis = Redis | Cluster;
export type WebhookQueue = Queue<WebhookJobData, unknown, typeof WEBHOOK_DELIVERY_JOB_NAME>;

export const DEFAULT_WEBHOOK_ATTEMPTS = 10;

export interface WebhookProducerOptions {
  /** Shared with the caller, who closes it (`close()` closes only the queue). */
  connection: WebhookRedis;
  /** The app passes `WEBHOOKS_QUEUE_NAME` from @wa-dispatch/queue. */
  queueName: string;
  /** BullMQ `prefix` (the deployment's Redis key prefix). */
  prefix?: string;
  /** Attempts per series, first one included. */
  attempts?: number;
  /** Needed by `replay` only. */
  store?: Pick<WebhookDeliveryStore, 'reopen'>;
}

export function webhookJobOptions(attempts = DEFAULT_WEBHOOK_ATTEMPTS): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: WEBHOOK_BACKOFF_TYPE },
    removeOnComplete: { age: 24 * 3_600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3_600 },
  };
}

export function assertQueueName(name: string): void {
  if (!/^[A-Za-z0-9_.{}-]{1,64}$/.test(name)) {
    throw new AppError('CONFIG.INVALID', 'webhook queue name must match [A-Za-z0-9_.{}-]{1,64}', { details: { name } });
  }
}

function parseDeliveryId(deliveryId: string): WebhookJobData {
  const parsed = WebhookJobData.safeParse({ deliveryId });
  if (!parsed.success) throw new AppError('JOB.INVALID', 'deliveryId must be a UUID');
  return parsed.data;
}

export class WebhookProducer {
  readonly queue: WebhookQueue;
  private readonly store: Pick<WebhookDeliveryStore, 'reopen'> | undefined;

  constructor(opts: WebhookProducerOptions) {
    assertQueueName(opts.queueName);
    this.store = opts.store;
    this.queue = new Queue<WebhookJobData, unknown, typeof WEBHOOK_DELIVERY_JOB_NAME>(opts.queueName, {
      connection: opts.connection,
      ...(opts.prefix === undefined ? {} : { prefix: opts.prefix }),
      defaultJobOptions: webhookJobOptions(opts.attempts),
    });
    this.queue.on('error', () => undefined); // surfaced by the calls that fail
  }

  async enqueue(deliveryId: string): Promise<void> {
    const data = parseDeliveryId(deliveryId);
    await this.queue.add(WEBHOOK_DELIVERY_JOB_NAME, data, { jobId: data.deliveryId });
  }

  async enqueueMany(deliveryIds: readonly string[]): Promise<void> {
    const jobs = deliveryIds.map((id) => {
      const data = parseDeliveryId(id);
      return { name: WEBHOOK_DELIVERY_JOB_NAME as typeof WEBHOOK_DELIVERY_JOB_NAME, data, opts: { jobId: data.deliveryId } };
    });
    if (jobs.length > 0) await this.queue.addBulk(jobs);
  }

  /** Re-adds the job of each delivery's current series (jobId = webhookJobId); existing jobs are left alone. */
  async enqueueSeries(items: readonly { deliveryId: string; series: number }[]): Promise<void> {
    const jobs = items.map(({ deliveryId, series }) => {
      const data = parseDeliveryId(deliveryId);
      const opts = { jobId: webhookJobId(data.deliveryId, series) };
      return { name: WEBHOOK_DELIVERY_JOB_NAME as typeof WEBHOOK_DELIVERY_JOB_NAME, data, opts };
    });
    if (jobs.length > 0) await this.queue.addBulk(jobs);
  }

  /**
   * Starts a fresh attempt series for a delivery of `chatId` (any status).
   * Throws WEBHOOK.NOT_FOUND when the delivery does not exist or belongs to
   * another tenant. Returns the new job id.
   */
  async replay(deliveryId: string, chatId: bigint): Promise<string> {
    if (this.store === undefined) throw new AppError('CONFIG.INVALID', 'WebhookProducer needs a store to replay');
    const data = parseDeliveryId(deliveryId);
    const series = await this.store.reopen(data.deliveryId, chatId);
    if (series === null) {
      throw new AppError('WEBHOOK.NOT_FOUND', 'Webhook delivery not found', { details: { deliveryId } });
    }
    const jobId = webhookJobId(data.deliveryId, series);
    await this.queue.add(WEBHOOK_DELIVERY_JOB_NAME, data, { jobId });
    return jobId;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
