import type { ApiKeyRepository, AuditRepository, OutboxRepository, PacingRepository, ScheduleRepository, TenantRepository } from '@wa-dispatch/db';
import type { TenantRestriction } from '@wa-dispatch/queue';
import type { ApiEnv } from '../env.js';
import type { Logger } from '../logger.js';
import type { DispatchControl } from '../services/dispatch-control.js';
import type { MessageSender } from '../services/message-sender.js';
import type { ReminderScheduling } from '../services/reminder-scheduling.js';

/** What the /v1 routers share; built once per app in create-app. */
export interface RouteContext {
  config: ApiEnv;
  logger: Logger;
  tenants: TenantRepository;
  apiKeys: ApiKeyRepository;
  outbox: OutboxRepository;
  audit: AuditRepository;
  sender: MessageSender;
  pacing: PacingRepository;
  restrictions: TenantRestriction;
  dispatch: DispatchControl;
  /** Reminder schedules (Postgres) and their BullMQ Job Schedulers (Redis, written second). */
  schedules: ScheduleRepository;
  reminders: ReminderScheduling;
  /** Re-times a resumed tenant's held backlog, oldest first; returns how many jobs moved. */
  readmit(chatId: bigint): Promise<number>;
}
