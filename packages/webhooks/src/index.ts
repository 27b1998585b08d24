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
  MessageInboundEventData,
  MessageStatusEventData,
  ScheduleSkippedEventData,
  SessionQrEventData,
  SessionStatusEventData,
  TenantRestrictedEventData,
  WEBHOOK_EVENT_TYPES,
  WebhookEvent,
  WebhookEventType,
  buildWebhookEvent,
  wantsEvent,
  type WebhookEventData,
} from '@wa-dispatch/core';
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
export type {
  WebhookAttempt,
  WebhookDeliveryStatus,
  WebhookDeliveryStore,
  WebhookDeliveryTarget,
} from './delivery-store.port.js';
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
export type { WebhookEventLog } from './webhook-event-log.port.js';
export { WebhookEventRecorder, type WebhookEventRecorderOptions } from './webhook-event-recorder.js';
