import { describe, expect, it } from 'vitest';
import { jitterFor, seededRandom } from './jitter.js';

describe('jitterFor', () => {
  it('stays within [0, max] and is an integer', () => {
    const rnd = seededRandom(42);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const j = jitterFor(rnd, 10);
      expect(Number.isInteger(j)).toBe(true);
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThanOrEqual(10);
      seen.add(j);
    }
    expect(seen.size).toBe(11); // both ends reachable
  });

  it('edge values of the RNG and of max', () => {
    expect(jitterFor(() => 0, 500)).toBe(0);
    expect(jitterFor(() => 0.999999999, 500)).toBe(500);
    expect(jitterFor(() => 1, 500)).toBe(0); // out-of-contract RNG values are clamped
    expect(jitterFor(() => Number.NaN, 500)).toBe(0);
    expect(jitterFor(() => 0.5, 0)).toBe(0);
    expect(jitterFor(() => 0.5, -5)).toBe(0);
  });

  it('seeded RNG is reproducible', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
