export { MAX_CRON_LENGTH, isValidCron } from './cron-syntax.js';
export {
  CronSchema,
  DEFAULT_TEMPLATE_VARIABLES,
  MAX_RENDERED_LENGTH,
  MAX_TEMPLATE_LENGTH,
  MAX_VARIABLES,
  MAX_VARIABLE_VALUE_LENGTH,
  MIN_INTERVAL_MS,
  QuietHoursInput,
  ReminderScheduleInput,
  ReminderSchedulePatch,
  hhmmToMinutes,
  minutesToHhmm,
  parseTemplate,
  renderTemplate,
  validateTemplate,
  type TemplateOptions,
  type TemplateVariables,
} from './reminder-template.js';
export { inQuietHours, localMinuteOfDay, quietHoursEnd, type QuietWindow } from './quiet-hours.js';
export {
  LINKED_SESSION_STATUSES,
  decideFiring,
  idempotencyKeyFor,
  type FiringDecision,
  type FiringInput,
  type SkipReason,
} from './schedule-firing.js';
