/**
 * Request schemas: the ones the routes validate with AND the ones
 * /openapi.json is generated from, so the document cannot drift from the
 * behaviour. Every object is strict: an unknown field is a 400 naming it.
 */
import { z } from 'zod';
import { ChatIdSchema, MessageStatus, PhoneSchema, TenantLimitsPatch, TimeZoneSchema } from '@wa-dispatch/core';

/** WhatsApp's limit, counted in characters (code points) as PostgreSQL's char_length does. */
export const MAX_TEXT_CHARS = 65_536;

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // a high surrogate followed by a low one is one character
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

// PostgreSQL text cannot hold U+0000; refusing it here keeps it a 400, not a 500.
const NO_NUL = (s: string) => !s.includes('\u0000');

export const ChatId = ChatIdSchema.meta({
  description: 'Telegram chat_id of the tenant: non-zero signed 64-bit integer, as a decimal string or a safe integer',
  examples: ['-1001234567890', 123456789],
});

export const MessageText = z
  .string()
  .min(1)
  .refine(NO_NUL, { message: 'text must not contain NUL characters' })
  .superRefine((s, ctx) => {
    if (codePointLength(s) > MAX_TEXT_CHARS) {
      ctx.addIssue({
        code: 'custom',
        message: `text must be at most ${MAX_TEXT_CHARS} characters`,
        params: { appCode: 'MESSAGE.TEXT_TOO_LONG' },
      });
    }
  })
  .meta({ maxLength: MAX_TEXT_CHARS, description: 'Message text, 1..65,536 characters' });

const Name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine(NO_NUL, { message: 'must not contain NUL characters' });

const Label = z.string().trim().min(1).max(200).refine(NO_NUL, { message: 'must not contain NUL characters' });

export const Uuid = z.uuid().meta({ description: 'UUID (v7 for ids made by wa-dispatch)' });

export const CreateTenantBody = z.strictObject({ chatId: ChatId, name: Name });

export const CreateTenantKeyBody = z.strictObject({
  label: Label.optional(),
  scope: z.literal('tenant').optional().meta({ description: 'Keys made here are always tenant keys' }),
});

export const CreateApiKeyBody = z.strictObject({
  scope: z.enum(['admin', 'service']),
  label: Label,
});

export const SendMessageBody = z.strictObject({
  to: PhoneSchema.meta({
    description: 'Recipient, international format with country code (separators, "+" and "00" are accepted)',
    examples: ['+55 11 91234-5678', '5511912345678'],
  }),
  text: MessageText,
});

export const TenantParams = z.strictObject({ chatId: ChatId });
export const MessageParams = z.strictObject({ chatId: ChatId, id: Uuid });
export const ApiKeyParams = z.strictObject({ id: Uuid });

export const ListMessagesQuery = z.strictObject({
  status: MessageStatus.optional(),
  cursor: Uuid.optional().meta({ description: 'nextCursor of the previous page' }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const IdempotencyKey = z
  .string()
  .regex(/^[\x20-\x7e]{1,255}$/, 'Idempotency-Key must be 1..255 printable ASCII characters')
  .meta({ description: 'Repeat-safe key: same key and body → the same message (200); another body → 409' });

/**
 * `PATCH /v1/tenants/{chatId}/limits`: any subset of the tenant's pacing
 * limits (TenantLimitsPatch from core: bounds checked, unknown keys refused)
 * plus its time zone (the day of the first-contact budget).
 */
export const PatchLimitsBody = TenantLimitsPatch.extend({
  timeZone: TimeZoneSchema.optional().meta({ description: 'IANA time zone of the tenant’s day, e.g. "America/Sao_Paulo"' }),
})
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field is required' });

export const PauseScopeBody = z.strictObject({
  scope: z
    .enum(['all', 'automatic'])
    .default('all')
    .meta({ description: '"all": the kill switch (no send at all); "automatic": scheduled sends only' }),
});
