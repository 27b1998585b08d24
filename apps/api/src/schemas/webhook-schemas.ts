/**
 * Request and response schemas of the tenant webhook routes
 * (routes/webhook.route.ts): the routes validate with them and /openapi.json
 * is generated from them.
 */
import { z } from 'zod';
import { WebhookEventType } from '@wa-dispatch/core';
import { MAX_WEBHOOK_URL_LENGTH } from '@wa-dispatch/webhooks';
import { ChatId, Uuid } from './request-schemas.js';

const Timestamp = z.string().meta({ format: 'date-time' });
const DeliveryStatus = z.enum(['pending', 'delivered', 'failed']);

export const PutWebhookBody = z.strictObject({
  url: z
    .string()
    .min(1)
    .max(MAX_WEBHOOK_URL_LENGTH)
    .meta({ description: 'http(s) endpoint of the tenant; loopback/private addresses are refused (WEBHOOK.URL_REFUSED)', examples: ['https://billing.example.com/wa-dispatch'] }),
  events: z
    .array(WebhookEventType)
    .min(1)
    .max(WebhookEventType.options.length)
    .refine((list) => new Set(list).size === list.length, { message: 'events must not repeat' })
    .meta({ description: 'Event types to receive' }),
  rotateSecret: z
    .boolean()
    .optional()
    .meta({ description: 'true: replace the signing secret and return the new one (an update otherwise keeps it and returns none)' }),
});

export const WebhookDeliveryParams = z.strictObject({ chatId: ChatId, id: Uuid });

export const ListWebhookDeliveriesQuery = z.strictObject({
  status: DeliveryStatus.optional(),
  cursor: Uuid.optional().meta({ description: 'nextCursor of the previous page' }),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const WebhookView = z.object({
  id: z.string(),
  chatId: z.string(),
  url: z.string(),
  events: z.array(WebhookEventType),
  active: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  secret: z
    .string()
    .optional()
    .meta({ description: 'The signing secret (whsec_…): only when the webhook was created or its secret rotated. Store it: it is never shown again.' }),
});

const DeliveryFields = {
  id: z.string(),
  event: WebhookEventType,
  status: DeliveryStatus,
  attempts: z.number().int().meta({ description: 'HTTP attempts over all series' }),
  series: z.number().int().meta({ description: '1, then +1 per replay' }),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
  payload: z
    .unknown()
    .nullable()
    .meta({ description: 'The event body as sent; shown to the tenant itself only (null for admin keys: it may carry customers’ replies)' }),
};

export const WebhookDelivery = z.object(DeliveryFields);

export const WebhookDeliveryList = z.object({ items: z.array(WebhookDelivery), nextCursor: z.string().nullable() });

export const WebhookDeliveryDetail = z.object({
  ...DeliveryFields,
  attemptLog: z.array(
    z.object({
      series: z.number().int(),
      attempt: z.number().int(),
      startedAt: Timestamp,
      durationMs: z.number().int(),
      statusCode: z.number().int().nullable(),
      error: z.string().nullable(),
      outcome: z.enum(['delivered', 'retry', 'failed']),
    }),
  ),
});

export const WebhookReplayAccepted = z.object({
  deliveryId: z.string(),
  series: z.number().int(),
  status: z.literal('pending'),
});
