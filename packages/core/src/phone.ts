/**
 * Phone numbers are handled as E.164 digits without the '+': 8–15 digits,
 * country code first, first digit never 0.
 *
 * Normalising: spaces, dashes, dots and parentheses are dropped, then one
 * leading '+' or '00' (international prefix) is dropped. Anything else — a
 * letter, a second '+', a '+' not at the start, a leading 0 left over — is
 * PHONE.INVALID. We cannot know a caller's country, so a bare digit string is
 * taken to already start with its country code.
 *
 * Brazil (country code 55): numbers are `55 DD subscriber`, DD being a
 * two-digit area code (no Brazilian DDD contains a 0). Landlines have 8-digit
 * subscribers starting 2–5. Mobiles had 8-digit subscribers starting 6–9 and
 * were migrated to 9 digits by prefixing a 9 (`55 DD 9XXXXXXXX`). WhatsApp
 * accounts created before the migration may still be registered without the
 * 9, so one recipient can have two JIDs:
 *   - `normalizePhone` keeps whichever form it was given;
 *   - `brazilianVariants` lists the with-9 form first, then the legacy one;
 *   - `canonicalPhone` is the with-9 form, so "same recipient" checks compare
 *     canonical phones.
 * A with-9 mobile whose remaining 8 digits start 1–5 was never an 8-digit
 * mobile (dropping the 9 would give a landline), so it has no legacy variant.
 *
 * Full numbers must never reach logs; use `maskPhone`.
 */
import { z } from 'zod';
import { AppError } from './app-error.js';

const SEPARATORS = /[\s\-.()]/g;
const E164_DIGITS = /^[1-9][0-9]{7,14}$/;
// Generous bound on raw input so separator stripping stays cheap.
const MAX_INPUT_LENGTH = 64;

const BR_MOBILE = /^55([1-9]{2})9([6-9][0-9]{7})$/;
const BR_LEGACY_MOBILE = /^55([1-9]{2})([6-9][0-9]{7})$/;

const WA_USER_JID = /^([1-9][0-9]{7,14})(?::[0-9]+)?@s\.whatsapp\.net$/;

const PHONE_MESSAGE =
  'phone must be an international number with country code, 8-15 digits (e.g. "+55 11 91234-5678")';

function tryNormalize(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return undefined;
  const stripped = input.replace(SEPARATORS, '');
  let digits = stripped;
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  return E164_DIGITS.test(digits) ? digits : undefined;
}

function assertDigits(digits: string): void {
  if (typeof digits !== 'string' || !E164_DIGITS.test(digits)) {
    throw new AppError('PHONE.INVALID', 'expected normalised E.164 digits (see normalizePhone)');
  }
}

/** Human input -> E.164 digits (no '+'). Never echoes the number in errors. */
export function normalizePhone(input: string): string {
  const digits = tryNormalize(input);
  if (digits === undefined) throw new AppError('PHONE.INVALID', PHONE_MESSAGE);
  return digits;
}

export function toJid(phoneDigits: string): string {
  assertDigits(phoneDigits);
  return `${phoneDigits}@s.whatsapp.net`;
}

/** Accepts user JIDs with or without a device suffix; LIDs and groups have no phone. */
export function jidToPhone(jid: string): string {
  const match = typeof jid === 'string' ? WA_USER_JID.exec(jid) : null;
  if (match?.[1] !== undefined) return match[1];
  if (typeof jid === 'string' && jid.endsWith('@lid')) {
    throw new AppError('PHONE.INVALID', 'JID is a LID (privacy id) and carries no phone number');
  }
  if (typeof jid === 'string' && jid.endsWith('@g.us')) {
    throw new AppError('PHONE.INVALID', 'JID is a group, not a phone number');
  }
  throw new AppError('PHONE.INVALID', 'not a WhatsApp user JID (<digits>[:device]@s.whatsapp.net)');
}

/**
 * Log-safe form: first 2 and last 2 characters kept, the rest masked. Never
 * throws, because a logging helper must not turn a log line into an error.
 */
export function maskPhone(digits: string): string {
  const s = String(digits);
  if (s.length <= 4) return '*'.repeat(s.length);
  return `${s.slice(0, 2)}${'*'.repeat(s.length - 4)}${s.slice(-2)}`;
}

/** All JID-able forms of one recipient, canonical first (see the file comment). */
export function brazilianVariants(digits: string): string[] {
  assertDigits(digits);
  const mobile = BR_MOBILE.exec(digits);
  if (mobile) return [digits, `55${mobile[1]}${mobile[2]}`];
  const legacy = BR_LEGACY_MOBILE.exec(digits);
  if (legacy) return [`55${legacy[1]}9${legacy[2]}`, digits];
  return [digits];
}

/** Identity of a recipient: compare canonical phones, not raw ones. */
export function canonicalPhone(digits: string): string {
  const [canonical] = brazilianVariants(digits);
  // brazilianVariants always returns at least the input.
  return canonical ?? digits;
}

/** Request-schema form of {@link normalizePhone}; output is normalised digits. */
export const PhoneSchema = z.string({ error: 'PHONE.INVALID' }).transform((input, ctx) => {
  const digits = tryNormalize(input);
  if (digits !== undefined) return digits;
  ctx.addIssue({ code: 'custom', message: 'PHONE.INVALID' });
  return z.NEVER;
});
