import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API key codec: pure functions (node:crypto only, no I/O), shared by the API
 * (authentication) and the CLI (operators minting keys), so both make and
 * recognise keys the same way.
 */
export type KeyScope = 'admin' | 'service' | 'tenant';

const LETTER: Record<KeyScope, string> = { admin: 'a', service: 's', tenant: 't' };
const KEY_PATTERN = /^wad_([ast])_([A-Za-z0-9_-]{43})$/;
/** `wad_t_AbCdEf`: enough to recognise a key in a list, far too little to guess it. */
const PREFIX_LENGTH = 12;

/**
 * Keys are `wad_<scope letter>_<32 random bytes, base64url>`. The scope letter
 * lets a leaked key be triaged at a glance; the secret part carries 256 bits,
 * so a single unsalted sha256 is enough to store it (no slow hash needed).
 */
export function generateApiKey(scope: KeyScope): { key: string; hash: string; prefix: string } {
  const key = `wad_${LETTER[scope]}_${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: displayPrefix(key) };
}

/** What is stored and looked up: the sha256 (hex) of the whole key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The non-secret head of a key, safe to store, list and log. */
export function displayPrefix(key: string): string {
  return key.slice(0, PREFIX_LENGTH);
}

/** The scope a well-formed key claims, or undefined for anything that is not one of our keys. */
export function claimedScope(key: string): KeyScope | undefined {
  const letter = KEY_PATTERN.exec(key)?.[1];
  if (letter === 'a') return 'admin';
  if (letter === 's') return 'service';
  if (letter === 't') return 'tenant';
  return undefined;
}

/** Constant-time equality of two strings of any length (compares their sha256). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/** Constant-time equality of two sha256 hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'hex');
  const bb = Buffer.from(b, 'hex');
  return ba.length === 32 && bb.length === 32 && timingSafeEqual(ba, bb);
}
