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
export {
  REMINDER_HELD_JOB_NAME,
  heldReminderJobId,
  holdReminder,
  type HeldReminderJobData,
  type HoldSpec,
} from './reminder-holds.js';
export { createRemindersQueue } from './reminders-queue.js';
