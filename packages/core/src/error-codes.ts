/**
 * The single list of error codes used across wa-dispatch. Codes are part of
 * the public API contract (HTTP bodies, bot replies, job failure reasons), so
 * they are only ever added, never renamed.
 */
export const ERROR_CODES = [
  'VALIDATION.INVALID_BODY',
  'VALIDATION.INVALID_QUERY',
  'VALIDATION.INVALID_PARAM',

  'CHAT_ID.INVALID',
  'PHONE.INVALID',

  'AUTH.MISSING_KEY',
  'AUTH.INVALID_KEY',
  'AUTH.REVOKED_KEY',
  'AUTH.FORBIDDEN',
  'AUTH.FORBIDDEN_TENANT',
  'AUTH.OPERATOR_REQUIRED',

  'TENANT.NOT_FOUND',
  'TENANT.ALREADY_EXISTS',
  'TENANT.INACTIVE',
  'TENANT.PAUSED',

  'API_KEY.NOT_FOUND',

  'MESSAGE.NOT_FOUND',
  'MESSAGE.TEXT_TOO_LONG',
  'MESSAGE.IDEMPOTENCY_CONFLICT',

  'SESSION.NOT_FOUND',
  'SESSION.NOT_LINKED',
  'SESSION.OWNER_MISMATCH',
  'SESSION.SOCKET_MISMATCH',
  'SESSION.NUMBER_TAKEN',
  'SESSION.QR_NOT_AVAILABLE',
  'SESSION.ALREADY_LINKED',
  'SESSION.LOGGED_OUT',
  'SESSION.BANNED',
  'SESSION.PAIRING_UNSUPPORTED',
  'SESSION.PAIRING_TIMEOUT',

  'SHARD.WRONG_SHARD',
  'SHARD.LEASE_LOST',
  'SHARD.STALE_EPOCH',

  'TRANSPORT.SEND_FAILED',
  'TRANSPORT.DISCONNECTED',
  'TRANSPORT.RATE_LIMITED',
  'TRANSPORT.RESTRICTED',
  'TRANSPORT.REACHOUT_LOCKED',

  'RATE.LIMITED',

  'DISPATCH.PAUSED',
  'DISPATCH.KILL_SWITCH',

  'JOB.INVALID',
  'CONFIG.INVALID',

  'DB.CONSTRAINT',
  'DB.TEST_URL_REFUSED',

  'NOT_FOUND',
  'INTERNAL',
  'PAYLOAD.TOO_LARGE',

  'SCHEDULE.NOT_FOUND',
  'SCHEDULE.INVALID',

  'WEBHOOK.NOT_FOUND',
  'WEBHOOK.URL_REFUSED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);

/** Narrows strings coming back from storage or the wire (e.g. job failure reasons). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN.has(value);
}
