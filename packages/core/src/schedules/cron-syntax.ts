/**
 * Basic cron syntax check without a library: 5 fields (minute hour dom month
 * dow) or 6 (seconds first). Each field is a comma list of `*`, `N`, `A-B`,
 * with an optional `/step`, within bounds; month and weekday names allowed.
 * Good enough to reject garbage at the API; next-run maths is BullMQ's.
 */
interface FieldSpec {
  min: number;
  max: number;
  names?: readonly string[];
  /** `?` is accepted (cron-parser treats it as `*`) for day fields. */
  question?: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const SECOND: FieldSpec = { min: 0, max: 59 };
const MINUTE: FieldSpec = { min: 0, max: 59 };
const HOUR: FieldSpec = { min: 0, max: 23 };
const DOM: FieldSpec = { min: 1, max: 31, question: true };
const MONTH: FieldSpec = { min: 1, max: 12, names: MONTHS };
const DOW: FieldSpec = { min: 0, max: 7, names: DAYS, question: true };

export const MAX_CRON_LENGTH = 120;

function value(token: string, spec: FieldSpec): number | undefined {
  if (/^\d{1,2}$/.test(token)) {
    const n = Number(token);
    return n >= spec.min && n <= spec.max ? n : undefined;
  }
  if (spec.names) {
    const i = spec.names.indexOf(token.toLowerCase() as never);
    if (i >= 0) return spec === MONTH ? i + 1 : i;
  }
  return undefined;
}

function validItem(item: string, spec: FieldSpec): boolean {
  const [range, step, extra] = item.split('/');
  if (range === undefined || extra !== undefined) return false;
  if (step !== undefined) {
    if (!/^\d{1,2}$/.test(step)) return false;
    const s = Number(step);
    if (s < 1 || s > spec.max - spec.min + 1) return false;
  }
  if (range === '*') return true;
  if (range === '?') return spec.question === true && step === undefined;
  const bounds = range.split('-');
  if (bounds.length === 1) return value(range, spec) !== undefined;
  if (bounds.length !== 2) return false;
  const a = value(bounds[0] ?? '', spec);
  const b = value(bounds[1] ?? '', spec);
  return a !== undefined && b !== undefined && a <= b;
}

function validField(field: string, spec: FieldSpec): boolean {
  const items = field.split(',');
  return items.length <= 60 && items.every((item) => validItem(item, spec));
}

export function isValidCron(expr: string): boolean {
  if (typeof expr !== 'string' || expr.length === 0 || expr.length > MAX_CRON_LENGTH) return false;
  const fields = expr.trim().split(/\s+/);
  const specs =
    fields.length === 6
      ? [SECOND, MINUTE, HOUR, DOM, MONTH, DOW]
      : fields.length === 5
        ? [MINUTE, HOUR, DOM, MONTH, DOW]
        : undefined;
  if (!specs) return false;
  return fields.every((f, i) => validField(f, specs[i] as FieldSpec));
}
