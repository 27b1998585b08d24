/**
 * Reminder text templates: `{{name}}`, `{{amount}}`, `{{due_date}}` or any
 * `[a-z_][a-z0-9_]*` variable. Errors are `SCHEDULE.INVALID` whose details
 * name variables, never their values.
 */
import { z } from 'zod';
import { AppError } from '../app-error.js';
import { PhoneSchema } from '../phone.js';
import { TimeZoneSchema } from '../pacing/day-key.js';
import { MAX_CRON_LENGTH, isValidCron } from './cron-syntax.js';

export const MAX_TEMPLATE_LENGTH = 4_096;
export const MAX_RENDERED_LENGTH = 65_536;
export const MAX_VARIABLES = 50;
export const MAX_VARIABLE_VALUE_LENGTH = 4_096;
export const MIN_INTERVAL_MS = 1_000;
export const DEFAULT_TEMPLATE_VARIABLES = ['name', 'amount', 'due_date'] as const;

const VARIABLE_NAME = /^[a-z_][a-z0-9_]*$/;
/** Anything between `{{` and `}}` is a placeholder; it must hold a valid name. */
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

export type TemplateVariables = Readonly<Record<string, string | number>>;

export interface TemplateOptions {
  /** When set, only these variable names may be used or supplied. Default: any valid name. */
  knownVariables?: readonly string[];
}

function invalid(message: string, details: Record<string, unknown>): AppError {
  return new AppError('SCHEDULE.INVALID', message, { details });
}

/** The distinct variable names a template uses, in order of first use. */
export function parseTemplate(text: string): string[] {
  if (text.length > MAX_TEMPLATE_LENGTH) {
    throw invalid(`Template exceeds ${MAX_TEMPLATE_LENGTH} characters`, {
      field: 'template',
      maxLength: MAX_TEMPLATE_LENGTH,
      length: text.length,
    });
  }
  const names: string[] = [];
  const malformed: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = (m[1] ?? '').trim();
    if (!VARIABLE_NAME.test(name) || name.length > 64) malformed.push(name.slice(0, 64));
    else if (!names.includes(name)) names.push(name);
  }
  if (malformed.length > 0) {
    throw invalid('Template has malformed placeholders', { field: 'template', malformed });
  }
  return names;
}

/** Throws unless every used variable is supplied and (if configured) known. Returns the used names. */
export function validateTemplate(text: string, vars: TemplateVariables, opts: TemplateOptions = {}): string[] {
  const used = parseTemplate(text);
  const supplied = Object.keys(vars);
  const badNames = supplied.filter((k) => !VARIABLE_NAME.test(k));
  if (badNames.length > 0) {
    throw invalid('Variable names must match [a-z_][a-z0-9_]*', { field: 'variables', invalid: badNames.map((n) => n.slice(0, 64)) });
  }
  if (opts.knownVariables) {
    const known = new Set(opts.knownVariables);
    const unknown = [...new Set([...used, ...supplied])].filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw invalid('Template uses unknown variables', { field: 'template', unknown, known: [...known] });
    }
  }
  const missing = used.filter((n) => !Object.hasOwn(vars, n));
  if (missing.length > 0) throw invalid('Template variables are missing', { field: 'variables', missing });
  return used;
}

/** Validates, then substitutes every `{{var}}`. */
export function renderTemplate(text: string, vars: TemplateVariables, opts: TemplateOptions = {}): string {
  validateTemplate(text, vars, opts);
  const out = text.replace(PLACEHOLDER, (_m, raw: string) => String(vars[raw.trim()]));
  if (out.length > MAX_RENDERED_LENGTH) {
    throw invalid(`Rendered text exceeds ${MAX_RENDERED_LENGTH} characters`, {
      field: 'template',
      maxLength: MAX_RENDERED_LENGTH,
      length: out.length,
    });
  }
  return out;
}

// ---- API schemas ---------------------------------------------------------

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** 'HH:MM' -> minutes after midnight. */
export function hhmmToMinutes(hhmm: string): number {
  const m = HHMM.exec(hhmm);
  if (!m) throw invalid('Time must be HH:MM', { field: 'quietHours' });
  return Number(m[1]) * 60 + Number(m[2]);
}

/** minutes after midnight -> 'HH:MM'. */
export function minutesToHhmm(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}

export const QuietHoursInput = z
  .strictObject({
    start: z.string().regex(HHMM, 'must be HH:MM'),
    end: z.string().regex(HHMM, 'must be HH:MM'),
  })
  .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'] });
export type QuietHoursInput = z.infer<typeof QuietHoursInput>;

export const CronSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_CRON_LENGTH)
  .refine(isValidCron, { message: 'must be a cron expression with 5 or 6 fields' });

const VariablesSchema = z
  .record(
    z.string().regex(VARIABLE_NAME, 'variable names must match [a-z_][a-z0-9_]*').max(64),
    z.union([z.string().max(MAX_VARIABLE_VALUE_LENGTH), z.number().finite()]),
  )
  .refine((v) => Object.keys(v).length <= MAX_VARIABLES, { message: `at most ${MAX_VARIABLES} variables` });

const DateInput = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const TemplateText = z.string().min(1).max(MAX_TEMPLATE_LENGTH);
const IntervalMs = z.number().int().min(MIN_INTERVAL_MS).max(2_147_483_647);

/** Adds a zod issue for each SCHEDULE.INVALID the template check raises (no values echoed). */
function checkTemplate(
  template: string,
  variables: Record<string, string | number>,
  ctx: z.core.$RefinementCtx,
): void {
  try {
    renderTemplate(template, variables);
  } catch (e) {
    if (!AppError.is(e)) throw e;
    const path = e.details.field === 'variables' ? ['variables'] : ['template'];
    ctx.addIssue({ code: 'custom', message: e.message, path, params: { ...e.details } });
  }
}

export const ReminderScheduleInput = z
  .strictObject({
    to: PhoneSchema,
    template: TemplateText,
    variables: VariablesSchema.default({}),
    cron: CronSchema.optional(),
    intervalMs: IntervalMs.optional(),
    timezone: TimeZoneSchema,
    startAt: DateInput.optional(),
    endAt: DateInput.optional(),
    quietHours: QuietHoursInput.optional(),
    active: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    if ((v.cron === undefined) === (v.intervalMs === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of cron or intervalMs is required', path: ['cron'] });
    }
    if (v.startAt && v.endAt && v.endAt.getTime() <= v.startAt.getTime()) {
      ctx.addIssue({ code: 'custom', message: 'endAt must be after startAt', path: ['endAt'] });
    }
    checkTemplate(v.template, v.variables, ctx);
  });
export type ReminderScheduleInput = z.infer<typeof ReminderScheduleInput>;

/**
 * A partial update. `null` clears an optional field. Cross-field rules that
 * need the stored row (template vs merged variables, endAt vs stored startAt,
 * cron xor intervalMs after merging) are the caller's: merge, then call
 * `validateTemplate` / re-check.
 */
export const ReminderSchedulePatch = z
  .strictObject({
    to: PhoneSchema.optional(),
    template: TemplateText.optional(),
    variables: VariablesSchema.optional(),
    cron: CronSchema.optional(),
    intervalMs: IntervalMs.optional(),
    timezone: TimeZoneSchema.optional(),
    startAt: DateInput.nullable().optional(),
    endAt: DateInput.nullable().optional(),
    quietHours: QuietHoursInput.nullable().optional(),
    active: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    if (Object.keys(v).length === 0) ctx.addIssue({ code: 'custom', message: 'empty patch', path: [] });
    if (v.cron !== undefined && v.intervalMs !== undefined) {
      ctx.addIssue({ code: 'custom', message: 'give cron or intervalMs, not both', path: ['cron'] });
    }
    if (v.startAt && v.endAt && v.endAt.getTime() <= v.startAt.getTime()) {
      ctx.addIssue({ code: 'custom', message: 'endAt must be after startAt', path: ['endAt'] });
    }
    if (v.template !== undefined && v.variables !== undefined) checkTemplate(v.template, v.variables, ctx);
  });
export type ReminderSchedulePatch = z.infer<typeof ReminderSchedulePatch>;
