/**
 * Webhook body signatures. The sender puts
 *
 *   WA-Dispatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, `${t}.${rawBody}`)>
 *
 * on every POST. Receivers verify over the *raw* bytes of the body (before any
 * JSON parsing), compare in constant time and refuse timestamps more than
 * `toleranceSec` (default 300 s) away from their clock, which bounds replays.
 * Several `v1=` entries are accepted (any one matching is enough), so a
 * secret can be rotated by signing with both for a while.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'WA-Dispatch-Signature';
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

export type WebhookSecret = string | Buffer;
export type WebhookBody = string | Buffer | Uint8Array;

/** A fresh signing secret (`whsec_` + 32 random bytes, base64url). Shown to the tenant once. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: WebhookSecret, timestampSec: number, rawBody: WebhookBody): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestampSec}.`);
  mac.update(typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody);
  return mac.digest('hex');
}

function assertTimestamp(timestampSec: number): void {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new RangeError('timestampSec must be a non-negative integer (unix seconds)');
  }
}

/** The value of the `WA-Dispatch-Signature` header for `rawBody` sent at `timestampSec`. */
export function signWebhook(secret: WebhookSecret, timestampSec: number, rawBody: WebhookBody): string {
  assertTimestamp(timestampSec);
  return `t=${timestampSec},v1=${hmacHex(secret, timestampSec, rawBody)}`;
}

export interface VerifyWebhookInput {
  secret: WebhookSecret;
  /** The header as received; Node gives `string | string[] | undefined`. */
  header: string | readonly string[] | null | undefined;
  rawBody: WebhookBody;
  /** The receiver's clock in unix seconds; defaults to now. */
  nowSec?: number;
  toleranceSec?: number;
}

export type VerifyWebhookResult = { ok: true; timestampSec: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

interface ParsedHeader {
  timestampSec: number;
  signatures: Buffer[];
}

function parseHeader(header: VerifyWebhookInput['header']): ParsedHeader | null {
  if (header === null || header === undefined) return null;
  const raw = typeof header === 'string' ? header : header.join(',');
  if (raw.length === 0 || raw.length > 2048) return null;
  let timestampSec: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestampSec !== undefined || !TIMESTAMP.test(value)) return null;
      timestampSec = Number(value);
    } else if (key === 'v1') {
      const hex = value.toLowerCase();
      if (!HEX_SHA256.test(hex)) return null;
      signatures.push(Buffer.from(hex, 'hex'));
    }
    // unknown schemes (a future v2) are ignored
  }
  if (timestampSec === undefined || signatures.length === 0) return null;
  return { timestampSec, signatures };
}

/** Checks a received webhook. Never throws on bad input: a bad header is `malformed`. */
export function verifyWebhook(input: VerifyWebhookInput): VerifyWebhookResult {
  const parsed = parseHeader(input.header);
  if (parsed === null) return { ok: false, reason: 'malformed' };
  const now = input.nowSec ?? Math.floor(Date.now() / 1000);
  const tolerance = input.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC;
  // Too old is a replay; too far in the future would let a captured request be replayed later.
  if (Math.abs(now - parsed.timestampSec) > tolerance) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(hmacHex(input.secret, parsed.timestampSec, input.rawBody), 'hex');
  let match = false;
  for (const candidate of parsed.signatures) {
    // every candidate is compared (no early exit), each in constant time
    if (timingSafeEqual(candidate, expected)) match = true;
  }
  return match ? { ok: true, timestampSec: parsed.timestampSec } : { ok: false, reason: 'mismatch' };
}
