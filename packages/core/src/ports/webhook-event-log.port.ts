/**
 * What the webhook event recorder (packages/webhooks) needs from storage;
 * packages/db `WebhookDeliveryRepository` implements it.
 */
import type { WebhookEvent } from '../events/tenant-events.js';

export interface WebhookEventLog {
  /**
   * Inserts a `pending` delivery of `event` for `chatId`'s own active webhook
   * if it subscribes to `event.type`, in one statement, and returns its id;
   * null when no such webhook exists (nothing written). The webhook is chosen
   * by `chatId` alone and the event's own `chatId` must match it.
   */
  recordEvent(chatId: bigint, event: WebhookEvent): Promise<string | null>;
  /** The event types `chatId`'s active webhook subscribes to; null without one. */
  subscribedEvents(chatId: bigint): Promise<readonly string[] | null>;
}
