import { z } from 'zod';

export const WEBHOOK_DELIVERY_JOB_NAME = 'deliver';

/** Job data: the delivery id only (operators see jobs in Bull Board; no payloads, URLs or secrets). */
export const WebhookJobData = z.strictObject({ deliveryId: z.uuid() });
export type WebhookJobData = z.infer<typeof WebhookJobData>;

/** Custom BullMQ backoff type; the Worker must carry `webhookBackoffStrategy` (createWebhookWorker does). */
export const WEBHOOK_BACKOFF_TYPE = 'webhook';

/**
 * The job id of a delivery's attempt series: the delivery id for the first
 * series (so enqueueing twice is a no-op), `<id>-s<n>` for replays. Being
 * deterministic, a re-enqueue (the worker's sweep) of a series whose job is
 * still in Redis is a no-op too.
 */
export function webhookJobId(deliveryId: string, series = 1): string {
  return series <= 1 ? deliveryId : `${deliveryId}-s${series}`;
}

/** The series a job id stands for (1 for a plain delivery id; null for ids this package did not make). */
export function seriesOfJobId(jobId: string | undefined): number | null {
  if (jobId === undefined) return null;
  const m = /^[0-9a-f-]{36}(?:-s([1-9]\d{0,8}))?$/i.exec(jobId);
  if (m === null) return null;
  return m[1] === undefined ? 1 : Number(m[1]);
}
