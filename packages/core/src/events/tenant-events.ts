/**
 * The JSON body of every webhook POST: one envelope, `data` depending on `type`.
 * Ids only plus what the tenant needs (its own customer's reply text in
 * `message.inbound`); every event belongs to exactly one tenant (`chatId`) and
 * is delivered only to that tenant's endpoint.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { MessageStatus } from '../dispatch/message-status.js';

export const WEBHOOK_EVENT_TYPES = [
  'message.status',
  'message.inbound',
  'session.qr',
  'session.status',
  'tenant.restricted',
  'schedule.skipped',
] as const;

export const WebhookEventType = z.enum(WEBHOOK_EVENT_TYPES);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** Telegram chat ids, as a decimal string (JSON has no BigInt). Group chats are negative. */
const ChatIdString = z.string().regex(/^-?[1-9]\d{0,18}$/);
const Id = z.string().min(1).max(128);
const SessionId = z.string().regex(/^user_-?[1-9]\d{0,18}$/);
const IsoDate = z.iso.datetime({ offset: true });
const ErrorInfo = z.strictObject({ code: z.string().max(64), message: z.string().max(500) });

export const MessageStatusEventData = z.strictObject({
  messageId: z.uuid(),
  status: MessageStatus,
  /** The WhatsApp message id once sent. */
  waMessageId: Id.nullable(),
  error: ErrorInfo.nullable(),
});
export type MessageStatusEventData = z.infer<typeof MessageStatusEventData>;

export const MessageInboundEventData = z.strictObject({
  inboundId: Id,
  sessionId: SessionId,
  /** The customer's number, E.164 digits with a leading '+'. */
  from: z.string().regex(/^\+[1-9]\d{6,14}$/),
  text: z.string().max(65_536),
  waMessageId: Id,
  /** The outbound message (outbox id) this reply answers, when known. */
  inReplyToMessageId: z.uuid().nullable(),
  receivedAt: IsoDate,
});
export type MessageInboundEventData = z.infer<typeof MessageInboundEventData>;

export const SessionQrEventData = z.strictObject({
  sessionId: SessionId,
  qr: z.string().min(1).max(4096),
  expiresAt: IsoDate,
});
export type SessionQrEventData = z.infer<typeof SessionQrEventData>;

export const SessionStatusEventData = z.strictObject({
  sessionId: SessionId,
  status: z.string().min(1).max(32),
  /** The linked number (digits), when linked. */
  phone: z.string().regex(/^\d{8,15}$/).nullable(),
  reason: z.string().max(64).nullable(),
});
export type SessionStatusEventData = z.infer<typeof SessionStatusEventData>;

export const TenantRestrictedEventData = z.strictObject({
  kind: z.enum(['restricted', 'rate_limited', 'reachout_locked']),
  /** An AppError code, e.g. TRANSPORT.RESTRICTED. */
  code: z.string().max(64),
  until: IsoDate.nullable(),
});
export type TenantRestrictedEventData = z.infer<typeof TenantRestrictedEventData>;

export const ScheduleSkippedEventData = z.strictObject({
  scheduleId: Id,
  fireTime: IsoDate,
  /** Why it was skipped: a skip reason of `decideFiring` (tenant_paused, session_not_linked, automatic_paused, inactive, outside_window, tenant_disabled). */
  reason: z.string().max(64),
});
export type ScheduleSkippedEventData = z.infer<typeof ScheduleSkippedEventData>;

const envelope = { id: z.uuid(), createdAt: IsoDate, chatId: ChatIdString };

export const WebhookEvent = z.discriminatedUnion('type', [
  z.strictObject({ ...envelope, type: z.literal('message.status'), data: MessageStatusEventData }),
  z.strictObject({ ...envelope, type: z.literal('message.inbound'), data: MessageInboundEventData }),
  z.strictObject({ ...envelope, type: z.literal('session.qr'), data: SessionQrEventData }),
  z.strictObject({ ...envelope, type: z.literal('session.status'), data: SessionStatusEventData }),
  z.strictObject({ ...envelope, type: z.literal('tenant.restricted'), data: TenantRestrictedEventData }),
  z.strictObject({ ...envelope, type: z.literal('schedule.skipped'), data: ScheduleSkippedEventData }),
]);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

export type WebhookEventData<T extends WebhookEventType> = Extract<WebhookEvent, { type: T }>['data'];

/** Builds and validates an event for `chatId` (throws a ZodError on bad data). */
export function buildWebhookEvent<T extends WebhookEventType>(
  type: T,
  chatId: bigint | string,
  data: WebhookEventData<T>,
  opts: { id?: string; createdAt?: Date } = {},
): Extract<WebhookEvent, { type: T }> {
  const event = WebhookEvent.parse({
    id: opts.id ?? randomUUID(),
    type,
    createdAt: (opts.createdAt ?? new Date()).toISOString(),
    chatId: String(chatId),
    data,
  });
  return event as Extract<WebhookEvent, { type: T }>;
}

/** Whether a webhook subscribed to `events` wants `type` (an empty list means none). */
export function wantsEvent(events: readonly string[], type: WebhookEventType): boolean {
  return events.includes(type);
}
