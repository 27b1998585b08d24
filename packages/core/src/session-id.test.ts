import { describe, it, expect } from 'vitest';
import { AppError } from './app-error.js';
import { isSessionIdOf, parseSessionId, sessionIdFor } from './session-id.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return AppError.is(e) ? e.code : 'not-an-AppError';
  }
  return undefined;
}

describe('sessionIdFor', () => {
  it.each([
    [123n, 'user_123'],
    [-100123n, 'user_-100123'],
    [-1001234567890n, 'user_-1001234567890'],
    [9223372036854775807n, 'user_9223372036854775807'],
  ])('%s -> %s', (chatId, expected) => {
    expect(sessionIdFor(chatId)).toBe(expected);
  });

  it('refuses an invalid chat id instead of inventing a session', () => {
    expect(codeOf(() => sessionIdFor(0n))).toBe('CHAT_ID.INVALID');
  });
});

describe('parseSessionId', () => {
  it.each([
    ['user_123', 123n],
    ['user_-100123', -100123n],
  ])('%s -> %s', (sessionId, expected) => {
    expect(parseSessionId(sessionId)).toBe(expected);
  });

  it('is the inverse of sessionIdFor', () => {
    for (const id of [1n, -1n, 5511987654321n, -9223372036854775808n]) {
      expect(parseSessionId(sessionIdFor(id))).toBe(id);
    }
  });

  it.each([
    [''],
    ['user_'],
    ['user_0'],
    ['user_-0'],
    ['user_007'],
    ['user_+1'],
    ['user_ 1'],
    ['user_1 '],
    ['user_1.0'],
    ['user_abc'],
    ['USER_1'],
    ['user-1'],
    ['1'],
    ['default'],
    ['session_1'],
    ['user_user_1'],
    ['user_9223372036854775808'],
  ])('rejects %j', (sessionId) => {
    expect(codeOf(() => parseSessionId(sessionId))).toBe('VALIDATION.INVALID_PARAM');
  });

  it('rejects non-strings at runtime', () => {
    expect(codeOf(() => parseSessionId(123 as unknown as string))).toBe('VALIDATION.INVALID_PARAM');
  });

  it('keeps the chat id failure as cause', () => {
    try {
      parseSessionId('user_007');
      expect.unreachable();
    } catch (e) {
      expect(AppError.is(e) && AppError.is(e.cause) && e.cause.code).toBe('CHAT_ID.INVALID');
    }
  });
});

describe('isSessionIdOf', () => {
  it('matches the owner', () => {
    expect(isSessionIdOf('user_123', 123n)).toBe(true);
    expect(isSessionIdOf('user_-100123', -100123n)).toBe(true);
  });

  it('does not match other tenants, including sign flips', () => {
    expect(isSessionIdOf('user_123', 124n)).toBe(false);
    expect(isSessionIdOf('user_123', -123n)).toBe(false);
    expect(isSessionIdOf('user_-123', 123n)).toBe(false);
  });

  it('treats malformed ids as owned by nobody', () => {
    expect(isSessionIdOf('user_0123', 123n)).toBe(false);
    expect(isSessionIdOf('default', 123n)).toBe(false);
    expect(isSessionIdOf('', 123n)).toBe(false);
  });
});
