import { describe, it, expect } from 'vitest';
import { AppError } from './app-error.js';
import { MAX_SHARD_COUNT, sendQueueName, shardOf, shardTag } from './shard.js';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return AppError.is(e) ? e.code : 'not-an-AppError';
  }
  return undefined;
}

// mulberry32: tiny seeded PRNG so the "random" ids are the same on every run.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function randomInt64s(count: number, seed: number): bigint[] {
  const next = mulberry32(seed);
  const ids: bigint[] = [];
  while (ids.length < count) {
    const id = BigInt.asIntN(64, (BigInt(next()) << 32n) | BigInt(next()));
    if (id !== 0n) ids.push(id);
  }
  return ids;
}

function sequential(count: number, base: bigint, step = 1n): bigint[] {
  return Array.from({ length: count }, (_, i) => base + BigInt(i) * step);
}

function maxRelativeDeviation(ids: bigint[], shardCount: number): number {
  const counts = new Array<number>(shardCount).fill(0);
  for (const id of ids) {
    const shard = shardOf(id, shardCount);
    counts[shard] = (counts[shard] ?? 0) + 1;
  }
  const mean = ids.length / shardCount;
  return Math.max(...counts.map((c) => Math.abs(c - mean) / mean));
}

describe('shardOf', () => {
  // Pinned: if this table changes, every tenant moves shard. Never update it
  // without a migration plan.
  it.each([
    [1n, 15, 399, 2],
    [2n, 15, 351, 3],
    [42n, 13, 189, 2],
    [123456789n, 11, 619, 2],
    [5511987654321n, 8, 984, 2],
    [-1001234567890n, 1, 401, 4],
    [-100123n, 14, 14, 2],
    [INT64_MAX, 13, 989, 0],
    [INT64_MIN, 12, 732, 1],
  ])('pinned placement of %s', (chatId, of16, of1024, of7) => {
    expect(shardOf(chatId, 16)).toBe(of16);
    expect(shardOf(chatId, 1024)).toBe(of1024);
    expect(shardOf(chatId, 7)).toBe(of7);
  });

  it('puts everything on shard 0 when there is one shard', () => {
    for (const id of [1n, -1n, INT64_MAX, INT64_MIN]) expect(shardOf(id, 1)).toBe(0);
  });

  it('always returns an integer in range', () => {
    for (const id of randomInt64s(2_000, 7)) {
      for (const n of [1, 2, 3, 16, 100, MAX_SHARD_COUNT]) {
        const s = shardOf(id, n);
        expect(Number.isInteger(s) && s >= 0 && s < n).toBe(true);
      }
    }
  });

  it('depends on the sign (groups are distinct tenants)', () => {
    const differing = sequential(1_000, 1_000_000n).filter((id) => shardOf(id, 16) !== shardOf(-id, 16));
    expect(differing.length).toBeGreaterThan(800);
  });

  describe('balance over 16 shards (every shard within ±5% of the mean)', () => {
    it.each([
      ['sequential user ids', sequential(100_000, 100_000_000n)],
      ['sequential small ids', sequential(100_000, 1n)],
      ['sequential supergroup ids', sequential(100_000, -1001000000000n, -1n)],
      ['strided ids (step 16)', sequential(100_000, 5_000_000_000n, 16n)],
      ['random 64-bit ids', randomInt64s(100_000, 0xc0ffee)],
    ])('%s', (_label, ids) => {
      expect(maxRelativeDeviation(ids, 16)).toBeLessThan(0.05);
    });
  });

  it('stays balanced at a large shard count', () => {
    expect(maxRelativeDeviation(sequential(256 * 2_000, 7_000_000_000n), 256)).toBeLessThan(0.12);
  });

  it.each([[0], [-1], [1.5], [MAX_SHARD_COUNT + 1], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'rejects shardCount %s',
    (n) => {
      expect(codeOf(() => shardOf(1n, n))).toBe('CONFIG.INVALID');
    },
  );

  it('accepts the boundary shard counts', () => {
    expect(() => shardOf(1n, 1)).not.toThrow();
    expect(() => shardOf(1n, MAX_SHARD_COUNT)).not.toThrow();
  });

  it('rejects ids that are not chat ids', () => {
    expect(codeOf(() => shardOf(0n, 16))).toBe('CHAT_ID.INVALID');
    expect(codeOf(() => shardOf(INT64_MAX + 1n, 16))).toBe('CHAT_ID.INVALID');
  });
});

describe('shardTag', () => {
  it.each([
    [0, '{s0}'],
    [3, '{s3}'],
    [1023, '{s1023}'],
  ])('%i -> %s', (shard, expected) => {
    expect(shardTag(shard)).toBe(expected);
  });

  it.each([[-1], [1.5], [MAX_SHARD_COUNT], [Number.NaN]])('rejects shard %s', (shard) => {
    expect(codeOf(() => shardTag(shard))).toBe('CONFIG.INVALID');
  });
});

describe('sendQueueName', () => {
  it('embeds the hash tag', () => {
    expect(sendQueueName(3)).toBe('send.{s3}');
    expect(sendQueueName(0)).toBe('send.{s0}');
  });

  it('never contains ":" (BullMQ rejects it)', () => {
    for (let s = 0; s < MAX_SHARD_COUNT; s++) expect(sendQueueName(s)).not.toContain(':');
  });

  it('is distinct per shard', () => {
    const names = new Set(Array.from({ length: MAX_SHARD_COUNT }, (_, s) => sendQueueName(s)));
    expect(names.size).toBe(MAX_SHARD_COUNT);
  });

  it('rejects invalid shards', () => {
    expect(codeOf(() => sendQueueName(-1))).toBe('CONFIG.INVALID');
  });
});
