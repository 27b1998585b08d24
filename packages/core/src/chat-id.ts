import { z } from 'zod';
import { AppError } from './app-error.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
// Canonical decimal only: one optional '-', no leading zeros, no '+'/space.
const DECIMAL = /^-?[1-9][0-9]*$/;
// "-9223372036854775808" is the longest in-range form; anything longer is
// rejected before BigInt() so hostile input cannot make us parse megabytes.
const MAX_DECIMAL_LENGTH = 20;

const CHAT_ID_MESSAGE =
  'chat_id must be a non-zero signed 64-bit integer: a decimal string (e.g. "-1001234567890"), a bigint, or a safe-integer number';

type Parsed = { ok: true; value: bigint } | { ok: false; reason: string };

function checkRange(value: bigint): Parsed {
  if (value === 0n) return { ok: false, reason: 'zero is not a chat id' };
  if (value < INT64_MIN || value > INT64_MAX) return { ok: false, reason: 'outside signed 64-bit range' };
  return { ok: true, value };
}

function tryParse(input: unknown): Parsed {
  switch (typeof input) {
    case 'bigint':
      return checkRange(input);
    case 'number':
      // Unsafe numbers have already lost precision; accepting them would
      // silently address another tenant.
      if (!Number.isSafeInteger(input)) return { ok: false, reason: 'number is not a safe integer' };
      return checkRange(BigInt(input));
    case 'string':
      if (input.length > MAX_DECIMAL_LENGTH) return { ok: false, reason: 'outside signed 64-bit range' };
      if (!DECIMAL.test(input)) return { ok: false, reason: 'not a canonical decimal integer' };
      return checkRange(BigInt(input));
    default:
      return { ok: false, reason: `unsupported type ${input === null ? 'null' : typeof input}` };
  }
}

/** Parses a Telegram chat_id (negative for groups) into the tenant key. */
export function parseChatId(input: unknown): bigint {
  const parsed = tryParse(input);
  if (!parsed.ok) {
    throw new AppError('CHAT_ID.INVALID', `${CHAT_ID_MESSAGE} (${parsed.reason})`, {
      details: { reason: parsed.reason },
    });
  }
  return parsed.value;
}

/** Request-schema form of {@link parseChatId}; output is always a bigint. */
export const ChatIdSchema = z
  .union([z.string(), z.number(), z.bigint()], { error: CHAT_ID_MESSAGE })
  .transform((input, ctx) => {
    const parsed = tryParse(input);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: `${CHAT_ID_MESSAGE} (${parsed.reason})` });
    return z.NEVER;
  });

/** Decimal string form used in JSON, logs and ids (bigint does not serialise). */
export function formatChatId(id: bigint): string {
  return parseChatId(id).toString();
}
