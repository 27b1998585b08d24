export {
  REMINDER_JOB_NAME,
  REMINDER_SCHEDULER_PREFIX,
  reconcileReminderSchedulers,
  reminderFireTime,
  reminderSchedulerId,
  removeReminderScheduler,
  upsertReminderScheduler,
  type ReconcileResult,
  type ReminderJobData,
  type ReminderQueue,
  type ReminderScheduleRow,
  type ReminderSchedulerSpec,
} from './reminder-schedulers.js';
