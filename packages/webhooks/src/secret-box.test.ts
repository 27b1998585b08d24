import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEV_WEBHOOK_SECRET_KEY, SecretBox, parseSecretKey } from './secret-box.js';

const key = randomBytes(32);
const box = new SecretBox(key);
const secret = 'whsec_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

describe('SecretBox', () => {
  it('round-trips, with a fresh IV per seal and the versioned format', () => {
    const a = box.seal(secret, 42n);
    const b = box.seal(secret, 42n);
    expect(a).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
    expect(box.open(a, 42n)).toBe(secret);
    expect(box.open(b, 42n)).toBe(secret);
    expect(box.open(box.seal(secret, -1001234567890n), -1001234567890n)).toBe(secret);
  });

  it('refuses a tampered ciphertext, IV or tag', () => {
    const sealed = box.seal(secret, 42n);
    const [v, iv, tag, ct] = sealed.split(':') as [string, string, string, string];
    const flip = (s: string) => {
      const buf = Buffer.from(s, 'base64url');
      buf[0] = buf[0]! ^ 1;
      return buf.toString('base64url');
    };
    for (const bad of [
      [v, iv, tag, flip(ct)],
      [v, flip(iv), tag, ct],
      [v, iv, flip(tag), ct],
      ['v2', iv, tag, ct],
      [v, iv, tag],
    ]) {
      expect(() => box.open(bad.join(':'), 42n)).toThrow(expect.objectContaining({ code: 'CONFIG.INVALID' }));
    }
    expect(() => box.open('not sealed', 42n)).toThrow(expect.objectContaining({ code: 'CONFIG.INVALID' }));
  });

  it('refuses the wrong key and another tenant’s row', () => {
    const sealed = box.seal(secret, 42n);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 42n)).toThrow(/does not open/);
    expect(() => box.open(sealed, 43n)).toThrow(/does not open/);
    try {
      box.open(sealed, 43n);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(sealed);
    }
  });

  it('parses 32-byte keys as hex or base64(url), refuses other lengths', () => {
    expect(parseSecretKey(key.toString('hex'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64url'))).toEqual(key);
    for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), randomBytes(33).toString('hex')]) {
      expect(() => parseSecretKey(bad)).toThrow(expect.objectContaining({ code: 'CONFIG.INVALID' }));
    }
    expect(new SecretBox(DEV_WEBHOOK_SECRET_KEY).isDevelopmentKey).toBe(true);
    expect(box.isDevelopmentKey).toBe(false);
  });
});
