import { describe, it, expect } from 'vitest';
import { ERROR_CODES, isErrorCode } from './error-codes.js';

const REQUIRED = [
  'VALIDATION.INVALID_BODY', 'VALIDATION.INVALID_QUERY', 'VALIDATION.INVALID_PARAM',
  'CHAT_ID.INVALID', 'PHONE.INVALID',
  'AUTH.MISSING_KEY', 'AUTH.INVALID_KEY', 'AUTH.REVOKED_KEY', 'AUTH.FORBIDDEN',
  'AUTH.FORBIDDEN_TENANT', 'AUTH.OPERATOR_REQUIRED',
  'TENANT.NOT_FOUND', 'TENANT.ALREADY_EXISTS', 'TENANT.INACTIVE', 'TENANT.PAUSED',
  'API_KEY.NOT_FOUND',
  'MESSAGE.NOT_FOUND', 'MESSAGE.TEXT_TOO_LONG', 'MESSAGE.IDEMPOTENCY_CONFLICT',
  'SESSION.NOT_FOUND', 'SESSION.NOT_LINKED', 'SESSION.OWNER_MISMATCH', 'SESSION.SOCKET_MISMATCH',
  'SESSION.NUMBER_TAKEN', 'SESSION.QR_NOT_AVAILABLE', 'SESSION.ALREADY_LINKED',
  'SESSION.LOGGED_OUT', 'SESSION.BANNED',
  'SHARD.WRONG_SHARD', 'SHARD.LEASE_LOST', 'SHARD.STALE_EPOCH',
  'TRANSPORT.SEND_FAILED', 'TRANSPORT.DISCONNECTED', 'TRANSPORT.RATE_LIMITED',
  'TRANSPORT.RESTRICTED', 'TRANSPORT.REACHOUT_LOCKED',
  'RATE.LIMITED', 'DISPATCH.PAUSED', 'DISPATCH.KILL_SWITCH',
  'JOB.INVALID', 'CONFIG.INVALID', 'DB.CONSTRAINT', 'DB.TEST_URL_REFUSED',
  'NOT_FOUND', 'INTERNAL', 'PAYLOAD.TOO_LARGE',
  'SCHEDULE.NOT_FOUND', 'SCHEDULE.INVALID', 'WEBHOOK.NOT_FOUND', 'WEBHOOK.URL_REFUSED',
];

describe('ERROR_CODES', () => {
  it('contains every code the other packages rely on', () => {
    const missing = REQUIRED.filter((c) => !(ERROR_CODES as readonly string[]).includes(c));
    expect(missing).toEqual([]);
  });

  it('has no duplicates', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });

  it('uses UPPER_SNAKE segments separated by dots', () => {
    for (const code of ERROR_CODES) expect(code).toMatch(/^[A-Z][A-Z_]*(\.[A-Z][A-Z_]*)?$/);
  });
});

describe('isErrorCode', () => {
  it('accepts known codes', () => {
    expect(isErrorCode('INTERNAL')).toBe(true);
    expect(isErrorCode('SESSION.BANNED')).toBe(true);
  });

  it.each([['session.banned'], ['NOPE'], [''], [42], [null], [undefined], [{}]])('rejects %j', (v) => {
    expect(isErrorCode(v)).toBe(false);
  });
});
