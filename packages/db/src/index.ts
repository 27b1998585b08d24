export { createDb, splitSchema, type Db, type DbOptions } from './prisma-client.js';
export { MessageDispatchRepository, type MessageDispatchHooks, type MessageStatusChange } from './message-dispatch.repository.js';
export { SessionRepository, type SessionView } from './session.repository.js';
export { AuditRepository } from './audit.repository.js';
export { Prisma } from './generated/prisma/client.js';
export type * from './generated/prisma/models.js';
export * from './generated/prisma/enums.js';
export { InboundRepository } from './inbound.repository.js';
export { ShardEpochRepository } from './shard-epoch.repository.js';
export { TenantRepository, type TenantWithSession } from './tenant.repository.js';
export { ApiKeyRepository, type ApiKeyRecord } from './api-key.repository.js';
export {
  OutboxRepository,
  type OutboxEventView,
  type OutboxHead,
  type OutboxInsert,
  type OutboxMessageView,
} from './outbox.repository.js';
export { AuthStateRepository, type AuthJson, type AuthJsonObject, type AuthKeyWrites } from './auth-state.repository.js';
export {
  DISPATCH_SWITCH_KEYS,
  PacingRepository,
  type DispatchSwitchKey,
  type DispatchSwitchRow,
  type TenantPacingRow,
} from './pacing.repository.js';
export { createSqlPools, type SqlPools } from './sql-pool.js';
export {
  ScheduleRepository,
  type NewSchedule,
  type RunOutcome,
  type RunUpsert,
  type ScheduleRecord,
  type ScheduleRunView,
  type ScheduleUpdate,
  type ScheduleVariables,
} from './schedule.repository.js';
export { WebhookRepository, type WebhookRecord, type WebhookUpsert } from './webhook.repository.js';
export {
  WebhookDeliveryRepository,
  type WebhookAttemptRow,
  type WebhookAttemptView,
  type WebhookDeliveryRepositoryOptions,
  type WebhookDeliveryRowStatus,
  type WebhookDeliveryTargetRow,
  type WebhookDeliveryView,
} from './webhook-delivery.repository.js';
