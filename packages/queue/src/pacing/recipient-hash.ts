import { createHmac } from 'node:crypto';
import { canonicalPhone, formatChatId } from '@wa-dispatch/core';

/** Used when no key is configured; then the hash only hides numbers from casual reads. */
export const DEFAULT_RECIPIENT_HASH_KEY = 'wa-dispatch/recipient-hash/v1';

/**
 * Pseudonymous recipient id for Redis: HMAC-SHA256(key, "chatId:canonicalPhone"),
 * first 128 bits as hex. Per tenant (the same number hashes differently for two
 * tenants) and keyed, so with a secret key it cannot be brute-forced back to a
 * phone number from a Redis dump. Changing the key makes every recipient a
 * first contact again. Brazilian 9th-digit variants hash alike.
 */
export function recipientHash(chatId: bigint, phone: string, key: string = DEFAULT_RECIPIENT_HASH_KEY): string {
  let canonical: string;
  try {
    canonical = canonicalPhone(phone);
  } catch {
    canonical = phone;
  }
  return createHmac('sha256', key).update(`${formatChatId(chatId)}:${canonical}`).digest('hex').slice(0, 32);
}
