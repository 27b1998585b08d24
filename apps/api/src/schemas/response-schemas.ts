/**
 * Response shapes, for /openapi.json only (responses are built by hand in the
 * routes). chatIds and ids are strings because JSON numbers cannot carry int64.
 */
import { z } from 'zod';
import { ERROR_CODES, MessageStatus } from '@wa-dispatch/core';

const DecimalChatId = z.string().regex(/^-?[1-9][0-9]*$/);
const Timestamp = z.string().meta({ format: 'date-time' });

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.object({ issues: z.array(z.object({ path: z.string(), message: z.string() })) }).optional(),
  }),
});

export const Warning = z.object({ code: z.enum(['SESSION.NOT_LINKED', 'TENANT.PAUSED']), message: z.string() });

export const TenantCreated = z.object({ chatId: DecimalChatId, sessionId: z.string() });

export const TenantView = z.object({
  chatId: DecimalChatId,
  name: z.string(),
  status: z.enum(['active', 'disabled']),
  paused: z.boolean(),
  createdAt: Timestamp,
  session: z
    .object({
      sessionId: z.string(),
      status: z.string(),
      shard: z.number().int(),
      linkedNumber: z.string().nullable().meta({ description: 'Full for the tenant itself, masked for other callers' }),
      linkedAt: Timestamp.nullable(),
    })
    .nullable(),
});

export const ApiKeyCreated = z.object({
  id: z.string(),
  key: z.string().meta({ description: 'The full key; shown only in this response' }),
  prefix: z.string(),
  scope: z.enum(['admin', 'service', 'tenant']),
  chatId: DecimalChatId.nullable(),
});

export const MessageAccepted = z.object({
  id: z.string(),
  status: MessageStatus,
  sessionId: z.string(),
  warnings: z.array(Warning).optional(),
});

const MessageFields = {
  id: z.string(),
  chatId: DecimalChatId,
  sessionId: z.string(),
  to: z.string(),
  text: z.string(),
  status: MessageStatus,
  source: z.enum(['api', 'schedule']),
  attempts: z.number().int(),
  waMessageId: z.string().nullable(),
  error: z.object({ code: z.string().nullable(), message: z.string().nullable() }).nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  sentAt: Timestamp.nullable(),
  deliveredAt: Timestamp.nullable(),
  readAt: Timestamp.nullable(),
};

export const MessageListItem = z.object(MessageFields);

export const MessageDetail = z.object({
  ...MessageFields,
  events: z.array(
    z.object({ status: MessageStatus, code: z.string().nullable(), detail: z.string().nullable(), at: Timestamp }),
  ),
});

export const MessageList = z.object({ items: z.array(MessageListItem), nextCursor: z.string().nullable() });

export const Health = z.object({ status: z.literal('ok') });

export const Readiness = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.object({ postgres: z.enum(['ok', 'error']), redis: z.enum(['ok', 'error']) }),
});

const LimitsShape = z.object({
  ratePerMinute: z.number(),
  burst: z.number().int(),
  recipientSpacingMs: z.number().int(),
  firstContactDailyBudget: z.number().int(),
  jitterMs: z.number().int(),
  warmup: z.boolean(),
});

export const TenantLimitsView = z.object({
  chatId: DecimalChatId,
  timeZone: z.string(),
  overrides: LimitsShape.partial().meta({ description: 'What was set with PATCH; other fields take the defaults' }),
  defaults: LimitsShape,
  configured: LimitsShape.meta({ description: 'defaults + overrides' }),
  effective: LimitsShape.meta({ description: 'What is enforced right now (configured, lowered by the warm-up stage)' }),
  warmup: z
    .object({
      linkedAt: Timestamp,
      fromDay: z.number().int(),
      untilDay: z.number().int(),
      ratePerHour: z.number(),
      burst: z.number().int(),
      firstContactsPerDay: z.number().int(),
    })
    .nullable()
    .meta({ description: 'The warm-up stage in force (linked number, warm-up on, first 7 days), or null' }),
  paused: z.boolean(),
  pausedAt: Timestamp.nullable(),
  restriction: z
    .object({
      sendBlockedUntil: Timestamp.nullable(),
      sendBlockedBy: z.enum(['restricted', 'rate_limited']).nullable(),
      firstContactBlockedUntil: Timestamp.nullable(),
    })
    .meta({ description: 'Restriction breaker: set when WhatsApp restricted or rate-limited the number' }),
});

export const TenantPauseView = z.object({ chatId: DecimalChatId, paused: z.boolean(), pausedAt: Timestamp.nullable() });

const SwitchView = z.object({ paused: z.boolean(), updatedAt: Timestamp.nullable(), updatedBy: z.string().nullable() });

export const DispatchPauseView = z.object({
  all: SwitchView.meta({ description: 'The kill switch (Postgres, the source of truth)' }),
  automatic: SwitchView.meta({ description: 'Scheduled sends only (Postgres)' }),
  redis: z
    .object({ present: z.boolean(), pausedAll: z.boolean(), pausedAutomatic: z.boolean() })
    .nullable()
    .meta({ description: 'The copy workers read; present=false after a Redis flush until a worker re-asserts it' }),
});
