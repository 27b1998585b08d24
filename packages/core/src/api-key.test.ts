import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claimedScope, displayPrefix, generateApiKey, hashApiKey, hashesEqual, safeEqual } from './api-key.js';

describe('api key codec', () => {
  it.each([
    ['admin', 'a'],
    ['service', 's'],
    ['tenant', 't'],
  ] as const)('%s keys are wad_%s_<43 base64url chars> (32 random bytes)', (scope, letter) => {
    const { key, hash, prefix } = generateApiKey(scope);
    expect(key).toMatch(new RegExp(`^wad_${letter}_[A-Za-z0-9_-]{43}$`));
    expect(Buffer.from(key.slice(6), 'base64url')).toHaveLength(32);
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(prefix).toBe(key.slice(0, 12));
    expect(claimedScope(key)).toBe(scope);
  });

  it('hashes to 64 hex chars and never returns the key', () => {
    const { key } = generateApiKey('tenant');
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key.slice(6));
  });

  it('display prefix holds the scope and a few chars, not the secret', () => {
    const { key } = generateApiKey('service');
    expect(displayPrefix(key)).toHaveLength(12);
    expect(displayPrefix(key).startsWith('wad_s_')).toBe(true);
  });

  it('keys are unique', () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateApiKey('admin').key));
    expect(keys.size).toBe(100);
  });

  it('claims no scope for foreign strings', () => {
    const { key } = generateApiKey('admin');
    expect(claimedScope(`${key}x`)).toBeUndefined();
    expect(claimedScope('wad_x_' + 'a'.repeat(43))).toBeUndefined();
    expect(claimedScope('')).toBeUndefined();
  });

  it('compares in constant time helpers', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
    const h = hashApiKey('x');
    expect(hashesEqual(h, h)).toBe(true);
    expect(hashesEqual(h, hashApiKey('y'))).toBe(false);
    expect(hashesEqual(h, 'zz')).toBe(false);
  });
});
