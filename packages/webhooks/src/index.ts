export {
  DEFAULT_SIGNATURE_TOLERANCE_SEC,
  WEBHOOK_SIGNATURE_HEADER,
  generateWebhookSecret,
  signWebhook,
  verifyWebhook,
  type VerifyWebhookInput,
  type VerifyWebhookResult,
  type WebhookBody,
  type WebhookSecret,
} from './webhook-signature.js';
export {
  MAX_WEBHOOK_URL_LENGTH,
  assertDeliverableUrl,
  isNonPublicAddress,
  systemLookup,
  type DeliverableUrl,
  type HostLookup,
  type LookupAddress,
  type UrlGuardOptions,
} from './url-guard.js';
export { WEBHOOK_BACKOFF_TYPE, WEBHOOK_DELIVERY_JOB_NAME, WebhookJobData, seriesOfJobId, webhookJobId } from './webhook-job.js';
export {
  DEFAULT_WEBHOOK_BACKOFF,
  WebhookRetryableError,
  parseRetryAfter,
  webhookBackoffDelay,
  webhookBackoffStrategy,
  type WebhookBackoffOptions,
} from './webhook-backoff.js';
export {
  DEFAULT_WEBHOOK_ATTEMPTS,
  WebhookProducer,
  webhookJobOptions,
  type WebhookProducerOptions,
  type WebhookQueue,
  type WebhookRedis,
} from './webhook-producer.js';
export {
  WebhookDeliveryProcessor,
  type WebhookDeliveryProcessorOptions,
  type WebhookDeliveryResult,
  type WebhookJobLike,
  type WebhookLogger,
} from './webhook-delivery.processor.js';
export { createWebhookWorker, type WebhookWorkerOptions } from './webhook-worker.js';
export { DEV_WEBHOOK_SECRET_KEY, SecretBox, isSecretKey, parseSecretKey } from './secret-box.js';
export { WebhookEventRecorder, type WebhookEventRecorderOptions } from './webhook-event-recorder.js';
