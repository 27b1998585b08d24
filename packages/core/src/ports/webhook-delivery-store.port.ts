/**
 * What the webhook delivery processor (packages/webhooks) needs from storage;
 * packages/db implements it on Postgres (`webhooks`, `webhook_deliveries`,
 * `webhook_delivery_attempts`).
 * Everything is keyed by delivery id; the store alone decides a delivery's
 * URL and secret, from the webhook row of the delivery's own tenant.
 */
import type { WebhookEventType } from '../events/tenant-events.js';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryTarget {
  deliveryId: string;
  webhookId: string;
  /** Owner of the delivery and of the webhook row it points at. */
  chatId: bigint;
  event: WebhookEventType;
  /** The event envelope (`WebhookEvent`) exactly as stored; serialised to JSON at send time. */
  payload: unknown;
  status: WebhookDeliveryStatus;
  url: string;
  /** The decrypted signing secret. */
  secret: string;
  /** The webhook row is active (not disabled or deleted). */
  active: boolean;
  /**
   * The current attempt series (1, then +1 per replay). When given, a job of
   * an older series is skipped, so a replay never runs next to a stale job.
   */
  series?: number;
}

export interface WebhookAttempt {
  deliveryId: string;
  /** 1-based attempt number within the current series (a replay starts a new series). */
  attempt: number;
  startedAt: Date;
  durationMs: number;
  /** HTTP status, or null when no response arrived. */
  statusCode: number | null;
  /** Short error text (≤ 500 chars), null on success. */
  error: string | null;
  outcome: 'delivered' | 'retry' | 'failed';
}

export interface WebhookDeliveryStore {
  load(deliveryId: string): Promise<WebhookDeliveryTarget | null>;
  /** Appends to the attempt log and updates `attempts`, `last_status_code`, `last_error`. */
  recordAttempt(attempt: WebhookAttempt): Promise<void>;
  markDelivered(deliveryId: string, at: Date): Promise<void>;
  markFailed(deliveryId: string, error: string): Promise<void>;
  /**
   * For replay: sets the delivery back to `pending` in a new attempt series
   * if it exists and belongs to `chatId`, and returns that series; returns
   * null otherwise (nothing changed).
   */
  reopen(deliveryId: string, chatId: bigint): Promise<number | null>;
}
