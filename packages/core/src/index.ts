export { ERROR_CODES, isErrorCode } from './error-codes.js';
export type { ErrorCode } from './error-codes.js';
export { AppError, toAppError } from './app-error.js';
export type { AppErrorOptions } from './app-error.js';
export { ChatIdSchema, formatChatId, parseChatId } from './chat-id.js';
export { isSessionIdOf, parseSessionId, sessionIdFor } from './session-id.js';
export {
  PhoneSchema,
  brazilianVariants,
  canonicalPhone,
  jidToPhone,
  maskPhone,
  normalizePhone,
  toJid,
} from './phone.js';
export { MAX_SHARD_COUNT, sendQueueName, shardOf, shardTag } from './shard.js';
export { MessageStatus, TERMINAL_STATUSES, receiptAdvances } from './dispatch/message-status.js';
export { SendJobData, SEND_JOB_NAME } from './dispatch/send-job.js';
export { clientMessageIdFor, messageIdFromClientId } from './dispatch/client-message-id.js';
export {
  MessageIntake,
  hashRequest,
  type IntakeRequest,
  type IntakeResult,
  type IntakeWarning,
  type MessageIntakeOptions,
} from './dispatch/message-intake.js';
export {
  SendDispatcher,
  type GateContext,
  type LiveSessions,
  type SendDispatcherOptions,
  type SendGate,
  type SendOutcome,
  type ShardGuard,
} from './dispatch/send-dispatcher.js';
export type * from './ports/transport.port.js';
export type * from './ports/message-store.port.js';
export type * from './ports/message-intake.port.js';
export type * from './ports/session-store.port.js';
export type * from './ports/audit-log.port.js';
export { systemClock, type Clock } from './ports/clock.port.js';
export { parseConfig } from './parse-config.js';
export {
  claimedScope,
  displayPrefix,
  generateApiKey,
  hashApiKey,
  hashesEqual,
  safeEqual,
  type KeyScope,
} from './api-key.js';
export * from './pacing/index.js';
export * from './schedules/index.js';
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
} from './events/tenant-events.js';
export { discardEvents, type TenantEventSink } from './ports/tenant-event-sink.port.js';
export type * from './ports/webhook-delivery-store.port.js';
export type * from './ports/webhook-event-log.port.js';
