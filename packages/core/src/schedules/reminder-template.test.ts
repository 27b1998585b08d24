import { describe, expect, it } from 'vitest';
import { AppError } from '../app-error.js';
import {
  DEFAULT_TEMPLATE_VARIABLES,
  ReminderScheduleInput,
  ReminderSchedulePatch,
  hhmmToMinutes,
  minutesToHhmm,
  parseTemplate,
  renderTemplate,
  validateTemplate,
} from './reminder-template.js';

function catchErr(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (AppError.is(e)) return e;
    throw e;
  }
  throw new Error('expected a throw');
}

const TEXT = 'Olá {{name}}, sua fatura de {{ amount }} vence em {{due_date}}. {{name}}!';

describe('parseTemplate', () => {
  it('lists distinct variables in order of first use', () => {
    expect(parseTemplate(TEXT)).toEqual(['name', 'amount', 'due_date']);
    expect(parseTemplate('no vars')).toEqual([]);
  });
  it('rejects malformed placeholders and over-long templates', () => {
    const e = catchErr(() => parseTemplate('hi {{Name}} {{}} {{a-b}}'));
    expect(e.code).toBe('SCHEDULE.INVALID');
    expect(e.details.malformed).toEqual(['Name', '', 'a-b']);
    expect(catchErr(() => parseTemplate('x'.repeat(4097))).code).toBe('SCHEDULE.INVALID');
    expect(parseTemplate('x'.repeat(4096))).toEqual([]);
  });
});

describe('validateTemplate / renderTemplate', () => {
  const vars = { name: 'Ana', amount: 'R$ 10,00', due_date: '2026-12-10' };
  it('renders every placeholder', () => {
    expect(renderTemplate(TEXT, vars)).toBe('Olá Ana, sua fatura de R$ 10,00 vence em 2026-12-10. Ana!');
    expect(renderTemplate('{{n}}', { n: 42 })).toBe('42');
  });
  it('names missing variables without echoing values', () => {
    const e = catchErr(() => renderTemplate(TEXT, { name: 'Secret Person' }));
    expect(e.code).toBe('SCHEDULE.INVALID');
    expect(e.details.missing).toEqual(['amount', 'due_date']);
    expect(JSON.stringify(e.details) + e.message).not.toContain('Secret');
  });
  it('a configurable known list rejects unknown variables (used or supplied)', () => {
    const known = { knownVariables: DEFAULT_TEMPLATE_VARIABLES };
    expect(validateTemplate(TEXT, vars, known)).toEqual(['name', 'amount', 'due_date']);
    const e = catchErr(() => validateTemplate('{{name}} {{pix_key}}', { name: 'x', pix_key: 'y', extra: 'z' }, known));
    expect(e.details.unknown).toEqual(['pix_key', 'extra']);
    // without a list any valid name is fine
    expect(renderTemplate('{{pix_key}}', { pix_key: 'k' })).toBe('k');
  });
  it('rejects invalid supplied names and over-long rendered text', () => {
    expect(catchErr(() => validateTemplate('x', { 'Bad-Name': 'v' })).details.invalid).toEqual(['Bad-Name']);
    const big = 'v'.repeat(40_000);
    const e = catchErr(() => renderTemplate('{{a}}{{b}}', { a: big, b: big }));
    expect(e.details.maxLength).toBe(65_536);
    expect(JSON.stringify(e.details)).not.toContain('vvvv');
  });
  it('HH:MM conversions', () => {
    expect(hhmmToMinutes('22:30')).toBe(1350);
    expect(minutesToHhmm(420)).toBe('07:00');
    expect(() => hhmmToMinutes('24:00')).toThrow(AppError);
  });
});

describe('ReminderScheduleInput', () => {
  const base = {
    to: '+55 11 98765-4321',
    template: 'Oi {{name}}, vence {{due_date}}',
    variables: { name: 'Ana', due_date: '10/12' },
    timezone: 'America/Sao_Paulo',
  };
  it('accepts a cron or an interval, with optional window and quiet hours', () => {
    const r = ReminderScheduleInput.parse({
      ...base,
      cron: '0 9 * * 1-5',
      startAt: '2026-12-01T00:00:00-03:00',
      endAt: '2027-01-01T00:00:00Z',
      quietHours: { start: '22:00', end: '07:00' },
      active: true,
    });
    expect(r.to).toBe('5511987654321');
    expect(r.startAt).toEqual(new Date('2026-12-01T03:00:00Z'));
    expect(ReminderScheduleInput.parse({ ...base, intervalMs: 1000 }).intervalMs).toBe(1000);
    expect(ReminderScheduleInput.parse({ ...base, template: 'plain', variables: undefined, cron: '* * * * *' }).variables).toEqual({});
  });
  it.each([
    ['neither cron nor interval', {}],
    ['both cron and interval', { cron: '* * * * *', intervalMs: 5000 }],
    ['interval below 1 s', { intervalMs: 999 }],
    ['garbage cron', { cron: 'every day' }],
    ['bad zone', { cron: '* * * * *', timezone: 'Mars/Olympus' }],
    ['endAt before startAt', { cron: '* * * * *', startAt: '2026-12-02T00:00:00Z', endAt: '2026-12-01T00:00:00Z' }],
    ['bad quiet hours', { cron: '* * * * *', quietHours: { start: '25:00', end: '07:00' } }],
    ['equal quiet hours', { cron: '* * * * *', quietHours: { start: '07:00', end: '07:00' } }],
    ['unknown key', { cron: '* * * * *', text: 'x' }],
    ['bad phone', { cron: '* * * * *', to: 'abc' }],
    ['missing variable', { cron: '* * * * *', variables: { name: 'Ana' } }],
    ['bad variable name', { cron: '* * * * *', variables: { name: 'a', due_date: 'b', 'X-Y': 'c' } }],
  ])('rejects %s', (_label, extra) => {
    expect(ReminderScheduleInput.safeParse({ ...base, ...extra }).success).toBe(false);
  });
  it('a missing-variable issue names the variable, not values', () => {
    const r = ReminderScheduleInput.safeParse({ ...base, cron: '* * * * *', variables: { name: 'Confidential' } });
    expect(r.success).toBe(false);
    const issue = r.error?.issues.find((i) => i.path[0] === 'variables');
    expect(JSON.stringify(issue)).toContain('due_date');
    expect(JSON.stringify(r.error?.issues)).not.toContain('Confidential');
  });
});

describe('ReminderSchedulePatch', () => {
  it('is partial and strict; null clears optional fields', () => {
    expect(ReminderSchedulePatch.parse({ active: false })).toEqual({ active: false });
    expect(ReminderSchedulePatch.parse({ quietHours: null, endAt: null })).toEqual({ quietHours: null, endAt: null });
    expect(ReminderSchedulePatch.safeParse({}).success).toBe(false);
    expect(ReminderSchedulePatch.safeParse({ nope: 1 }).success).toBe(false);
    expect(ReminderSchedulePatch.safeParse({ cron: '* * * * *', intervalMs: 1000 }).success).toBe(false);
    expect(ReminderSchedulePatch.safeParse({ template: '{{a}}', variables: {} }).success).toBe(false);
    expect(ReminderSchedulePatch.safeParse({ template: '{{a}}', variables: { a: 1 } }).success).toBe(true);
  });
});
