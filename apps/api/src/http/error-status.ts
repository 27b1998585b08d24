import type { ErrorCode } from '@wa-dispatch/core';

/**
 * THE mapping from error codes to HTTP statuses; nothing else in the API
 * picks a status for an error. Validation failures are 400 (not 422): the
 * request itself is malformed, and one status keeps clients simple.
 * Codes not listed here (worker-side ones such as SHARD.* or TRANSPORT.*)
 * should never reach HTTP; if one does it is a bug and answers 500.
 */
export const ERROR_STATUS: Readonly<Partial<Record<ErrorCode, number>>> = {
  'VALIDATION.INVALID_BODY': 400,
  'VALIDATION.INVALID_QUERY': 400,
  'VALIDATION.INVALID_PARAM': 400,
  'CHAT_ID.INVALID': 400,
  'PHONE.INVALID': 400,
  'MESSAGE.TEXT_TOO_LONG': 400,
  'SCHEDULE.INVALID': 400,
  // a refused webhook URL is a bad request like any other (details.reason says why)
  'WEBHOOK.URL_REFUSED': 400,

  'AUTH.MISSING_KEY': 401,
  'AUTH.INVALID_KEY': 401,
  'AUTH.REVOKED_KEY': 401,
  'AUTH.OPERATOR_REQUIRED': 401,
  'AUTH.FORBIDDEN': 403,
  'AUTH.FORBIDDEN_TENANT': 403,

  NOT_FOUND: 404,
  'TENANT.NOT_FOUND': 404,
  'API_KEY.NOT_FOUND': 404,
  'MESSAGE.NOT_FOUND': 404,
  'SESSION.NOT_FOUND': 404,
  'SCHEDULE.NOT_FOUND': 404,
  'WEBHOOK.NOT_FOUND': 404,
  'SESSION.QR_NOT_AVAILABLE': 404,

  'TENANT.ALREADY_EXISTS': 409,
  'TENANT.INACTIVE': 409,
  'MESSAGE.IDEMPOTENCY_CONFLICT': 409,
  'SESSION.ALREADY_LINKED': 409,
  'SESSION.BANNED': 409,

  'SESSION.PAIRING_UNSUPPORTED': 501,
  'SESSION.PAIRING_TIMEOUT': 504,

  'PAYLOAD.TOO_LARGE': 413,

  INTERNAL: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return ERROR_STATUS[code] ?? 500;
}
