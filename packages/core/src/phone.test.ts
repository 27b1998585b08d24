import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { AppError } from './app-error.js';
import {
  PhoneSchema,
  brazilianVariants,
  canonicalPhone,
  jidToPhone,
  maskPhone,
  normalizePhone,
  toJid,
} from './phone.js';

function errorOf(fn: () => unknown): AppError | undefined {
  try {
    fn();
  } catch (e) {
    if (AppError.is(e)) return e;
    throw e;
  }
  return undefined;
}

const good: Array<[string, string]> = [
  ['5511987654321', '5511987654321'],
  ['+5511987654321', '5511987654321'],
  ['005511987654321', '5511987654321'],
  ['+55 11 98765-4321', '5511987654321'],
  ['+55 (11) 98765-4321', '5511987654321'],
  ['55.11.98765.4321', '5511987654321'],
  ['00 55 11 98765 4321', '5511987654321'],
  ['  +1 (415) 555-0132  ', '14155550132'],
  ['+1\t415\t555\t0132', '14155550132'],
  ['+44 20 7946 0958', '442079460958'],
  ['12345678', '12345678'],
  ['123456789012345', '123456789012345'],
  // Legacy Brazilian form is kept as given.
  ['+55 11 8765-4321', '551187654321'],
];

const bad: Array<[string, string]> = [
  ['empty', ''],
  ['only separators', ' -.() '],
  ['only plus', '+'],
  ['only 00', '00'],
  ['letters', '+55 11 9876A-4321'],
  ['vanity letters', '1-800-FLOWERS'],
  ['too short', '1234567'],
  ['too short with plus', '+123 4567'],
  ['too long', '1234567890123456'],
  ['leading 0 after strip', '011987654321'],
  ['leading 0 after plus', '+011987654321'],
  ['000 prefix', '00011987654321'],
  ['double plus', '++5511987654321'],
  ['plus then space then plus', '+ +5511987654321'],
  ['plus in the middle', '55+11987654321'],
  ['trailing plus', '5511987654321+'],
  ['00 then plus', '00+5511987654321'],
  ['plus then 00', '+005511987654321'],
  ['slash separator', '+55/11/987654321'],
  ['extension', '+14155550132 ext 12'],
  ['full-width digits', '５５１１９８７６５４３２１'],
  ['jid', '5511987654321@s.whatsapp.net'],
  ['absurdly long input', `+55${' '.repeat(1000)}11987654321`],
];

describe('normalizePhone', () => {
  it.each(good)('%j -> %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each(bad)('rejects %s', (_label, input) => {
    expect(errorOf(() => normalizePhone(input))?.code).toBe('PHONE.INVALID');
  });

  it('rejects non-strings at runtime', () => {
    expect(errorOf(() => normalizePhone(5511987654321 as unknown as string))?.code).toBe('PHONE.INVALID');
  });

  it('never echoes the number in the error message', () => {
    const e = errorOf(() => normalizePhone('+55 21 97531-864X'));
    expect(e?.message).not.toMatch(/97531/);
    expect(JSON.stringify(e?.details)).not.toMatch(/97531/);
  });
});

describe('PhoneSchema', () => {
  it.each(good)('%j -> %s', (input, expected) => {
    expect(PhoneSchema.parse(input)).toBe(expected);
  });

  it.each(bad)('rejects %s with PHONE.INVALID', (_label, input) => {
    const result = PhoneSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual(['PHONE.INVALID']);
  });

  it('rejects non-strings with PHONE.INVALID', () => {
    const result = PhoneSchema.safeParse(5511987654321);
    expect(result.error?.issues.map((i) => i.message)).toEqual(['PHONE.INVALID']);
  });

  it('reports the field path inside request schemas', () => {
    const Body = z.object({ to: PhoneSchema });
    expect(Body.parse({ to: '+1 415 555 0132' })).toEqual({ to: '14155550132' });
    expect(Body.safeParse({ to: 'nope' }).error?.issues[0]?.path).toEqual(['to']);
  });
});

describe('toJid', () => {
  it('builds a user JID', () => {
    expect(toJid('5511987654321')).toBe('5511987654321@s.whatsapp.net');
  });

  it.each([['+5511987654321'], ['55 11 98765 4321'], ['0551198765432'], ['1234567'], ['']])(
    'refuses non-normalised %j',
    (input) => {
      expect(errorOf(() => toJid(input))?.code).toBe('PHONE.INVALID');
    },
  );
});

describe('jidToPhone', () => {
  it.each([
    ['5511987654321@s.whatsapp.net', '5511987654321'],
    ['5511987654321:12@s.whatsapp.net', '5511987654321'],
    ['14155550132:0@s.whatsapp.net', '14155550132'],
  ])('%s -> %s', (jid, expected) => {
    expect(jidToPhone(jid)).toBe(expected);
  });

  it('round-trips with toJid', () => {
    expect(jidToPhone(toJid('442079460958'))).toBe('442079460958');
  });

  it.each([
    ['LID', '123456789012345@lid', /LID/],
    ['group', '120363012345678901@g.us', /group/],
    ['group (legacy id)', '5511987654321-1600000000@g.us', /group/],
  ])('rejects a %s', (_label, jid, message) => {
    const e = errorOf(() => jidToPhone(jid));
    expect(e?.code).toBe('PHONE.INVALID');
    expect(e?.message).toMatch(message);
  });

  it.each([
    ['empty', ''],
    ['no server', '5511987654321'],
    ['legacy c.us', '5511987654321@c.us'],
    ['broadcast', 'status@broadcast'],
    ['empty device', '5511987654321:@s.whatsapp.net'],
    ['leading zero', '05511987654321@s.whatsapp.net'],
    ['plus', '+5511987654321@s.whatsapp.net'],
    ['trailing junk', '5511987654321@s.whatsapp.net.evil'],
    ['dot not escaped', '5511987654321@sXwhatsapp.net'],
  ])('rejects %s', (_label, jid) => {
    expect(errorOf(() => jidToPhone(jid))?.code).toBe('PHONE.INVALID');
  });
});

describe('maskPhone', () => {
  it.each([
    ['5511987654321', '55*********21'],
    ['14155550132', '14*******32'],
    ['12345678', '12****78'],
  ])('%s -> %s', (digits, expected) => {
    expect(maskPhone(digits)).toBe(expected);
  });

  it('keeps only 4 digits of the number visible', () => {
    const masked = maskPhone('5511987654321');
    expect(masked).toHaveLength(13);
    expect(masked.replace(/\*/g, '')).toHaveLength(4);
  });

  it.each([[''], ['1'], ['1234']])('fully masks very short input %j', (input) => {
    expect(maskPhone(input)).toBe('*'.repeat(input.length));
  });

  it('does not throw on odd input', () => {
    expect(maskPhone(undefined as unknown as string)).toBe('un*****ed');
  });
});

describe('brazilianVariants', () => {
  it.each([
    ['with-9 mobile (São Paulo)', '5511987654321', ['5511987654321', '551187654321']],
    ['with-9 mobile starting 96', '5521961234567', ['5521961234567', '552161234567']],
    ['legacy mobile starting 9', '551198765432', ['5511998765432', '551198765432']],
    ['legacy mobile starting 8', '551187654321', ['5511987654321', '551187654321']],
    ['legacy mobile starting 7', '558571234567', ['5585971234567', '558571234567']],
    ['legacy mobile starting 6', '556161234567', ['5561961234567', '556161234567']],
  ])('%s', (_label, digits, expected) => {
    expect(brazilianVariants(digits)).toEqual(expected);
  });

  it.each([
    ['landline starting 2', '552123456789'],
    ['landline starting 3', '553133334444'],
    ['landline starting 5', '555132221111'],
    ['with-9 number whose legacy form would be a landline', '5511923456789'],
    ['area code containing 0', '551087654321'],
    ['area code containing 0, with 9', '5520987654321'],
    ['13 digits without mobile 9', '5511887654321'],
    ['too short for Brazil', '5511876543'],
    ['US number', '14155550132'],
    ['UK number', '442079460958'],
    ['Portugal mobile (9 after country code)', '351912345678'],
  ])('%s has a single form', (_label, digits) => {
    expect(brazilianVariants(digits)).toEqual([digits]);
  });

  it('refuses non-normalised input', () => {
    expect(errorOf(() => brazilianVariants('+5511987654321'))?.code).toBe('PHONE.INVALID');
  });
});

describe('canonicalPhone', () => {
  it('adds the 9 to legacy Brazilian mobiles', () => {
    expect(canonicalPhone('551187654321')).toBe('5511987654321');
  });

  it('is idempotent', () => {
    for (const d of ['551187654321', '5511987654321', '552123456789', '14155550132']) {
      expect(canonicalPhone(canonicalPhone(d))).toBe(canonicalPhone(d));
    }
  });

  it('makes both forms of one Brazilian recipient equal', () => {
    const a = normalizePhone('+55 11 98765-4321');
    const b = normalizePhone('+55 11 8765-4321');
    expect(a).not.toBe(b);
    expect(canonicalPhone(a)).toBe(canonicalPhone(b));
  });

  it('leaves landlines and other countries alone', () => {
    expect(canonicalPhone('552123456789')).toBe('552123456789');
    expect(canonicalPhone('14155550132')).toBe('14155550132');
  });

  it('never merges distinct landlines and mobiles', () => {
    expect(canonicalPhone('551123456789')).not.toBe(canonicalPhone('5511923456789'));
  });
});
