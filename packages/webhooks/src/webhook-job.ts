import { z } from 'zod';

export const WEBHOOK_DELIVERY_JOB_NAME = 'deliver';

/** Job data: the delivery id only (operators see jobs in Bull Board; no payloads, URLs or secrets). */
export const WebhookJobData = z.strictObject({ deliveryId: z.uuid() });
export type WebhookJobData = z.infer<typeof WebhookJobData>;

/** Custom BullMQ backoff type; the Worker must carry `webhookBackoffStrategy` (createWebhookWorker does). */
export const WEBHOOK_BACKOFF_TYPE = 'webhook';
