/**
 * What `MessageIntake` (accepting a send into the outbox) needs from the
 * outside world. The API and the reminder processor wire the same intake to
 * the same adapters (packages/db, packages/queue), so a reminder firing is
 * accepted exactly as `POST …/messages` is.
 */
import type { MessageStatus } from '../dispatch/message-status.js';
import type { SendJobData } from '../dispatch/send-job.js';

export interface IntakeTenant {
  status: string;
  paused: boolean;
  /** The tenant's own session row (`user_{chatId}`), or null when it has none. */
  session: { sessionId: string; status: string } | null;
}

/** Tenant + its session, in one read. */
export interface IntakeTenantLookup {
  findWithSession(chatId: bigint): Promise<IntakeTenant | null>;
}

/** The columns an accepted send answers with (never the text). */
export interface IntakeMessageHead {
  id: string;
  sessionId: string;
  status: MessageStatus;
  requestHash: string | null;
}

export interface IntakeOutboxInsert {
  chatId: bigint;
  sessionId: string;
  toPhone: string;
  text: string;
  idempotencyKey: string | null;
  requestHash: string;
  source: 'api' | 'schedule';
  /** The reminder schedule that fired (source 'schedule'), else null. */
  scheduleId: string | null;
}

/**
 * The outbox. `insertQueued` must be idempotent on (chatId, idempotencyKey):
 * when the key is taken it returns the row holding it with `created: false`.
 */
export interface IntakeOutbox {
  findByIdempotencyKey(chatId: bigint, idempotencyKey: string): Promise<IntakeMessageHead | null>;
  insertQueued(input: IntakeOutboxInsert): Promise<{ created: boolean; message: IntakeMessageHead }>;
}

/** Adds the send job for an outbox row (job data: ids only). */
export interface SendEnqueuer {
  enqueue(job: SendJobData): Promise<void>;
}

/** Optional observers; they must not throw. */
export interface IntakeHooks {
  /** A new outbox row was written. */
  accepted?(source: 'api' | 'schedule'): void;
  /** The job could not be added in time; the row stays queued for the outbox reconciler. */
  enqueueFailed?(job: SendJobData, err: unknown): void;
}
