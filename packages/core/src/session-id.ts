import { AppError } from './app-error.js';
import { formatChatId, parseChatId } from './chat-id.js';

const PREFIX = 'user_';

/**
 * The only way a WhatsApp session id is made: one session per tenant, keyed
 * by the tenant's chat_id (`user_-100123` for a group). There is no default
 * or shared session anywhere; code that needs a session without a chat_id is
 * a bug, not a fallback case.
 */
export function sessionIdFor(chatId: bigint): string {
  return `${PREFIX}${formatChatId(chatId)}`;
}

/** Strict inverse of {@link sessionIdFor}: only canonical ids round-trip. */
export function parseSessionId(sessionId: string): bigint {
  if (typeof sessionId !== 'string' || !sessionId.startsWith(PREFIX)) {
    throw new AppError('VALIDATION.INVALID_PARAM', `session id must look like "${PREFIX}<chat_id>"`);
  }
  const rest = sessionId.slice(PREFIX.length);
  try {
    return parseChatId(rest);
  } catch (cause) {
    throw new AppError('VALIDATION.INVALID_PARAM', `session id must look like "${PREFIX}<chat_id>"`, { cause });
  }
}

/** Ownership check; malformed ids are simply not owned by anyone. */
export function isSessionIdOf(sessionId: string, chatId: bigint): boolean {
  try {
    return parseSessionId(sessionId) === chatId;
  } catch {
    return false;
  }
}
