import { describe, expect, it } from 'vitest';
import { ERROR_CODES, parseConfig } from '@wa-dispatch/core';
import { claimedScope, generateApiKey, hashApiKey, safeEqual } from './auth/api-key-codec.js';
import { isOperator } from './auth/operator-auth.js';
import { ApiEnv } from './env.js';
import { ERROR_STATUS, httpStatusFor } from './http/error-status.js';

describe('ApiEnv', () => {
  it('applies the documented defaults and has no default secrets', () => {
    const env = parseConfig(ApiEnv, { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x' });
    expect(env).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: 'wad',
      SHARD_COUNT: 16,
      PORT: 3000,
      HOST: '0.0.0.0',
      OPERATOR_USER: 'operator',
      BODY_LIMIT: '300kb',
      LOG_LEVEL: 'info',
    });
    expect(env.ADMIN_API_KEY).toBeUndefined();
    expect(env.OPERATOR_PASSWORD).toBeUndefined();
  });

  it('fails naming each bad variable', () => {
    expect(() =>
      parseConfig(ApiEnv, { DATABASE_URL: 'nope', SHARD_COUNT: '0', ADMIN_API_KEY: 'short', REDIS_PREFIX: 'a:b' }),
    ).toThrow(/DATABASE_URL[\s\S]*REDIS_PREFIX[\s\S]*SHARD_COUNT[\s\S]*ADMIN_API_KEY/);
  });
});

describe('API keys', () => {
  it('are wad_<scope>_<43 base64url chars>, hashed with sha256, with a 12-char prefix', () => {
    const k = generateApiKey('service');
    expect(k.key).toMatch(/^wad_s_[A-Za-z0-9_-]{43}$/);
    expect(k.hash).toBe(hashApiKey(k.key));
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(k.prefix).toBe(k.key.slice(0, 12));
    expect(claimedScope(k.key)).toBe('service');
    expect(claimedScope(generateApiKey('tenant').key)).toBe('tenant');
    expect(claimedScope(`${k.key}x`)).toBeUndefined();
    expect(generateApiKey('admin').key).not.toBe(generateApiKey('admin').key);
  });

  it('compares secrets of any length in constant time', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
    const header = `Basic ${Buffer.from('op:pa:ss').toString('base64')}`;
    expect(isOperator(header, 'op', 'pa:ss')).toBe(true);
    expect(isOperator(header, 'op', 'pass')).toBe(false);
    expect(isOperator('Bearer x', 'op', 'pa:ss')).toBe(false);
  });
});

describe('ERROR_STATUS', () => {
  it('maps the API-facing codes as documented', () => {
    expect(httpStatusFor('VALIDATION.INVALID_BODY')).toBe(400);
    expect(httpStatusFor('MESSAGE.TEXT_TOO_LONG')).toBe(400);
    expect(httpStatusFor('AUTH.REVOKED_KEY')).toBe(401);
    expect(httpStatusFor('AUTH.FORBIDDEN_TENANT')).toBe(403);
    expect(httpStatusFor('MESSAGE.NOT_FOUND')).toBe(404);
    expect(httpStatusFor('MESSAGE.IDEMPOTENCY_CONFLICT')).toBe(409);
    expect(httpStatusFor('PAYLOAD.TOO_LARGE')).toBe(413);
    expect(httpStatusFor('SHARD.LEASE_LOST')).toBe(500);
  });

  it('gives every *.NOT_FOUND code a 404 and only lists known codes', () => {
    for (const code of ERROR_CODES) if (code.endsWith('NOT_FOUND')) expect(ERROR_STATUS[code], code).toBe(404);
    for (const code of Object.keys(ERROR_STATUS)) expect(ERROR_CODES).toContain(code);
  });
});
