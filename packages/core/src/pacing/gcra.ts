/**
 * GCRA (generic cell rate algorithm) — the tenant rate limit, as a pure
 * function. `packages/queue/src/pacing/lua/tenant-pace.lua` implements the
 * same maths in Redis; both are tested against GCRA_CASES.
 *
 *   tolerance = (burst - 1) * interval
 *   allowAt   = tat - tolerance
 *   allowed   ⇔ now >= allowAt           (tat absent = 0 = idle)
 *   newTat    = max(tat, now) + interval  (only when allowed)
 *
 * Guarantee: n sends between t1 and tn need tn - t1 >= (n - burst) * interval,
 * so any window of W ms holds fewer than burst + W / interval sends.
 */
export interface GcraParams {
  intervalMs: number;
  burst: number;
}

export interface GcraResult {
  allowed: boolean;
  /** When a refused request could pass; `now` when allowed. */
  retryAtMs: number;
  /** The TAT to store (unchanged when refused). */
  newTat: number;
}

export function gcra(state: { tatMs: number }, now: number, p: GcraParams): GcraResult {
  const allowAt = state.tatMs - (p.burst - 1) * p.intervalMs;
  if (now >= allowAt) {
    return { allowed: true, retryAtMs: now, newTat: Math.max(state.tatMs, now) + p.intervalMs };
  }
  return { allowed: false, retryAtMs: allowAt, newTat: state.tatMs };
}

export interface GcraCase {
  name: string;
  tatMs: number;
  now: number;
  intervalMs: number;
  burst: number;
  expect: GcraResult;
}

/** Reference table shared by the TypeScript and the Lua tests. */
export const GCRA_CASES: readonly GcraCase[] = Object.freeze([
  { name: 'idle tenant (no tat)', tatMs: 0, now: 1_000_000, intervalMs: 1000, burst: 3,
    expect: { allowed: true, retryAtMs: 1_000_000, newTat: 1_001_000 } },
  { name: 'tat in the past restarts from now', tatMs: 990_000, now: 1_000_000, intervalMs: 1000, burst: 1,
    expect: { allowed: true, retryAtMs: 1_000_000, newTat: 1_001_000 } },
  { name: 'second of a burst of 3', tatMs: 1_001_000, now: 1_000_000, intervalMs: 1000, burst: 3,
    expect: { allowed: true, retryAtMs: 1_000_000, newTat: 1_002_000 } },
  { name: 'third of a burst of 3 (last one)', tatMs: 1_002_000, now: 1_000_000, intervalMs: 1000, burst: 3,
    expect: { allowed: true, retryAtMs: 1_000_000, newTat: 1_003_000 } },
  { name: 'burst exhausted: next slot one interval later', tatMs: 1_003_000, now: 1_000_000, intervalMs: 1000, burst: 3,
    expect: { allowed: false, retryAtMs: 1_001_000, newTat: 1_003_000 } },
  { name: 'exactly at the slot passes', tatMs: 1_003_000, now: 1_001_000, intervalMs: 1000, burst: 3,
    expect: { allowed: true, retryAtMs: 1_001_000, newTat: 1_004_000 } },
  { name: 'one ms before the slot is refused', tatMs: 1_003_000, now: 1_000_999, intervalMs: 1000, burst: 3,
    expect: { allowed: false, retryAtMs: 1_001_000, newTat: 1_003_000 } },
  { name: 'burst 1: strictly one per interval', tatMs: 1_000_500, now: 1_000_000, intervalMs: 1000, burst: 1,
    expect: { allowed: false, retryAtMs: 1_000_500, newTat: 1_000_500 } },
  { name: 'burst 1 at its slot', tatMs: 1_000_500, now: 1_000_500, intervalMs: 1000, burst: 1,
    expect: { allowed: true, retryAtMs: 1_000_500, newTat: 1_001_500 } },
  { name: 'late arrival keeps the stored tat as base', tatMs: 1_003_000, now: 1_002_500, intervalMs: 1000, burst: 3,
    expect: { allowed: true, retryAtMs: 1_002_500, newTat: 1_004_000 } },
  { name: '4/min (15 s interval), burst 3, exhausted', tatMs: 1_045_000, now: 1_000_000, intervalMs: 15_000, burst: 3,
    expect: { allowed: false, retryAtMs: 1_015_000, newTat: 1_045_000 } },
]);
