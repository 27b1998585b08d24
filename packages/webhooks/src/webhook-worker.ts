import { Worker } from 'bullmq';
import type { WebhookDeliveryProcessor, WebhookDeliveryResult } from './webhook-delivery.processor.js';
import { webhookBackoffStrategy, type WebhookBackoffOptions } from './webhook-backoff.js';
import { WEBHOOK_DELIVERY_JOB_NAME, type WebhookJobData } from './webhook-job.js';
import { assertQueueName, type WebhookRedis } from './webhook-producer.js';

export interface WebhookWorkerOptions {
  /** Must be a worker connection (`maxRetriesPerRequest: null`). */
  connection: WebhookRedis;
  queueName: string;
  prefix?: string;
  processor: WebhookDeliveryProcessor;
  concurrency?: number;
  backoff?: WebhookBackoffOptions;
  autorun?: boolean;
}

/** A BullMQ Worker running the processor, with the webhook backoff strategy installed. */
export function createWebhookWorker(
  opts: WebhookWorkerOptions,
): Worker<WebhookJobData, WebhookDeliveryResult, typeof WEBHOOK_DELIVERY_JOB_NAME> {
  assertQueueName(opts.queueName);
  return new Worker<WebhookJobData, WebhookDeliveryResult, typeof WEBHOOK_DELIVERY_JOB_NAME>(
    opts.queueName,
    opts.processor.handler,
    {
      connection: opts.connection,
      ...(opts.prefix === undefined ? {} : { prefix: opts.prefix }),
      concurrency: opts.concurrency ?? 8,
      autorun: opts.autorun ?? true,
      settings: { backoffStrategy: webhookBackoffStrategy(opts.backoff) },
    },
  );
}
