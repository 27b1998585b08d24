/** Random in [0, 1), like Math.random; inject a seeded one in tests. */
export type RandomSource = () => number;

/** An integer extra delay in [0, maxMs]; 0 when maxMs <= 0. */
export function jitterFor(random: RandomSource, maxMs: number): number {
  if (!(maxMs > 0)) return 0;
  const r = random();
  const unit = r >= 0 && r < 1 ? r : 0;
  return Math.min(Math.floor(maxMs), Math.floor(unit * (Math.floor(maxMs) + 1)));
}

/** mulberry32: a small deterministic PRNG for tests and reproducible runs. */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
