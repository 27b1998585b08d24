import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { AppError } from './app-error.js';
import { ChatIdSchema, formatChatId, parseChatId } from './chat-id.js';

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

const valid: Array<[unknown, bigint]> = [
  ['1', 1n],
  ['123456789', 123456789n],
  ['-100', -100n],
  ['-1001234567890', -1001234567890n],
  ['9223372036854775807', INT64_MAX],
  ['-9223372036854775808', INT64_MIN],
  // Beyond 2^53: must not go through a float.
  ['9007199254740993', 9007199254740993n],
  [42n, 42n],
  [-1001234567890n, -1001234567890n],
  [INT64_MAX, INT64_MAX],
  [INT64_MIN, INT64_MIN],
  [1, 1n],
  [-1001234567890, -1001234567890n],
  [Number.MAX_SAFE_INTEGER, 9007199254740991n],
  [Number.MIN_SAFE_INTEGER, -9007199254740991n],
];

const invalid: Array<[string, unknown]> = [
  ['empty string', ''],
  ['zero string', '0'],
  ['negative zero string', '-0'],
  ['leading zeros', '007'],
  ['negative leading zeros', '-007'],
  ['leading plus', '+123'],
  ['leading space', ' 123'],
  ['trailing space', '123 '],
  ['trailing newline', '123\n'],
  ['decimal', '12.0'],
  ['exponent', '1e5'],
  ['hex', '0x10'],
  ['lone minus', '-'],
  ['double minus', '--1'],
  ['underscore separator', '1_000'],
  ['non-ASCII digits', '١٢٣'],
  ['int64 max + 1', '9223372036854775808'],
  ['int64 min - 1', '-9223372036854775809'],
  ['very long digit string', '1'.repeat(10_000)],
  ['zero number', 0],
  ['negative zero number', -0],
  ['fractional number', 1.5],
  ['unsafe number', 2 ** 53],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['zero bigint', 0n],
  ['bigint above int64', INT64_MAX + 1n],
  ['bigint below int64', INT64_MIN - 1n],
  ['null', null],
  ['undefined', undefined],
  ['boolean', true],
  ['object', { id: 1 }],
  ['array', ['1']],
];

describe('parseChatId', () => {
  it.each(valid)('parses %s', (input, expected) => {
    expect(parseChatId(input)).toBe(expected);
  });

  it.each(invalid)('rejects %s', (_label, input) => {
    expect(codeOf(() => parseChatId(input))).toBe('CHAT_ID.INVALID');
  });

  it('explains the expected format in the message', () => {
    expect(() => parseChatId('007')).toThrow(/non-zero signed 64-bit integer/);
    expect(() => parseChatId(2 ** 53)).toThrow(/safe integer/);
  });
});

describe('ChatIdSchema', () => {
  it.each(valid)('parses %s to a bigint', (input, expected) => {
    expect(ChatIdSchema.parse(input)).toBe(expected);
  });

  it.each(invalid)('rejects %s with a clear message', (_label, input) => {
    const result = ChatIdSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]?.message).toMatch(/^chat_id must be a non-zero signed 64-bit integer/);
  });

  it('composes into request schemas with the field path', () => {
    const Body = z.object({ chat_id: ChatIdSchema });
    expect(Body.parse({ chat_id: '-100123' })).toEqual({ chat_id: -100123n });
    const result = Body.safeParse({ chat_id: '0' });
    expect(result.error?.issues[0]?.path).toEqual(['chat_id']);
  });
});

describe('formatChatId', () => {
  it.each([
    [1n, '1'],
    [-1001234567890n, '-1001234567890'],
    [INT64_MIN, '-9223372036854775808'],
  ])('formats %s', (id, expected) => {
    expect(formatChatId(id)).toBe(expected);
  });

  it('round-trips with parseChatId', () => {
    for (const id of [7n, -7n, INT64_MAX, INT64_MIN, 9007199254740993n]) {
      expect(parseChatId(formatChatId(id))).toBe(id);
    }
  });

  it('refuses to format ids that are not chat ids', () => {
    expect(codeOf(() => formatChatId(0n))).toBe('CHAT_ID.INVALID');
    expect(codeOf(() => formatChatId(INT64_MAX + 1n))).toBe('CHAT_ID.INVALID');
  });
});
