import { describe, it, expect } from 'vitest';
import { fmix32, fnv1a32 } from './stable-hash.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('fnv1a32', () => {
  // Reference vectors from the FNV specification's test suite.
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('%j', (input, expected) => {
    expect(fnv1a32(utf8(input))).toBe(expected);
  });

  it('hashes bytes, so non-ASCII input is hashed as UTF-8', () => {
    expect(fnv1a32(utf8('é'))).toBe(fnv1a32(new Uint8Array([0xc3, 0xa9])));
  });

  it('returns an unsigned 32-bit integer', () => {
    for (const s of ['-1001234', '9223372036854775807', 'x'.repeat(100)]) {
      const h = fnv1a32(utf8(s));
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
    }
  });
});

describe('fmix32', () => {
  // Values of MurmurHash3's fmix32; 0 is its fixed point.
  it.each([
    [0, 0],
    [1, 0x514e28b7],
    [0xdeadbeef, 0x0de5c6a9],
  ])('fmix32(%i)', (input, expected) => {
    expect(fmix32(input)).toBe(expected);
  });

  it('is a bijection on a sample (no collisions introduced)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50_000; i++) seen.add(fmix32(i));
    expect(seen.size).toBe(50_000);
  });
});
