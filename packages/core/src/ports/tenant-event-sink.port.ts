/**
 * Where the send path, the session manager, the restriction breaker and the
 * reminder processor report what a tenant's own system should hear about.
 * An event belongs to exactly one tenant: the implementation looks up that
 * tenant's webhook only (by `chatId`), never anyone else's.
 */
import type { WebhookEventData, WebhookEventType } from '../events/tenant-events.js';

export interface TenantEventSink {
  /**
   * Records the event durably for `chatId`'s webhook if it subscribes to
   * `type`, then schedules its delivery. Resolves once recorded; never rejects
   * because the tenant's receiver is down (delivery retries on its own).
   */
  emit<T extends WebhookEventType>(type: T, chatId: bigint, data: WebhookEventData<T>): Promise<void>;
}

/** For wiring without webhooks (tests of other features, tools). */
export const discardEvents: TenantEventSink = { emit: async () => undefined };
