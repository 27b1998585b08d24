/**
 * Request and response schemas of the session-linking routes
 * (routes/session.route.ts): the routes validate with them and /openapi.json
 * is generated from them.
 */
import { z } from 'zod';
import { PhoneSchema } from '@wa-dispatch/core';

const SessionStatusEnum = z.enum([
  'unlinked',
  'pending_qr',
  'qr_expired',
  'connecting',
  'connected',
  'disconnected',
  'logged_out',
  'banned',
  'replaced',
  'quarantined',
]);
const Timestamp = z.string().meta({ format: 'date-time' });

export const SessionQrQuery = z.strictObject({
  format: z.enum(['png', 'json']).optional().meta({ description: 'png (default): the QR as an image; json: {qr, dataUrl, expiresAt}' }),
});

export const PairingCodeBody = z.strictObject({
  phone: PhoneSchema.meta({ description: 'The phone that will link, international format', examples: ['+55 11 91234-5678'] }),
});

export const SessionLinkStarted = z.object({ sessionId: z.string(), status: SessionStatusEnum });

export const SessionView = z.object({
  sessionId: z.string(),
  status: SessionStatusEnum,
  number: z.string().nullable().meta({ description: 'Linked number: full for the tenant itself, masked for admin/service callers' }),
  shard: z.number().int(),
  lastError: z.string().nullable(),
  linkedAt: Timestamp.nullable(),
});

export const SessionQrJson = z.object({
  qr: z.string().meta({ description: 'The raw QR value (what the image encodes)' }),
  dataUrl: z.string().meta({ description: 'data:image/png;base64,… of the QR' }),
  expiresAt: Timestamp,
});

export const PairingCode = z.object({ code: z.string() });
