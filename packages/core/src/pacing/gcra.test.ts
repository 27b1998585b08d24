import { describe, expect, it } from 'vitest';
import { GCRA_CASES, gcra } from './gcra.js';

describe('gcra', () => {
  it.each(GCRA_CASES)('$name', (c) => {
    expect(gcra({ tatMs: c.tatMs }, c.now, { intervalMs: c.intervalMs, burst: c.burst })).toEqual(c.expect);
  });

  it('a burst of N at one instant allows exactly `burst`, then one per interval', () => {
    const p = { intervalMs: 100, burst: 3 };
    let tat = 0;
    const t0 = 10_000;
    const allowedNow = [];
    for (let i = 0; i < 10; i++) {
      const r = gcra({ tatMs: tat }, t0, p);
      if (r.allowed) tat = r.newTat;
      allowedNow.push(r.allowed);
    }
    expect(allowedNow.filter(Boolean)).toHaveLength(3);
    // Drain: always retry exactly at retryAt.
    const sends: number[] = [t0, t0, t0];
    let now = t0;
    while (sends.length < 20) {
      const r = gcra({ tatMs: tat }, now, p);
      if (r.allowed) {
        tat = r.newTat;
        sends.push(now);
      } else {
        now = r.retryAtMs;
      }
    }
    expect(sends.slice(3, 8)).toEqual([t0 + 100, t0 + 200, t0 + 300, t0 + 400, t0 + 500]);
  });

  it('never lets a window of W ms hold burst + W/interval sends (randomised arrivals)', () => {
    const p = { intervalMs: 50, burst: 3 };
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    let tat = 0;
    let now = 0;
    const sends: number[] = [];
    for (let i = 0; i < 5000; i++) {
      now += Math.floor(rnd() * 40);
      const r = gcra({ tatMs: tat }, now, p);
      if (r.allowed) {
        tat = r.newTat;
        sends.push(now);
      }
    }
    const W = 1000;
    let j = 0;
    for (let i = 0; i < sends.length; i++) {
      while ((sends[i] ?? 0) - (sends[j] ?? 0) >= W) j++;
      expect(i - j + 1).toBeLessThan(p.burst + W / p.intervalMs);
    }
  });
});
