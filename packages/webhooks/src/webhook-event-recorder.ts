/**
 * The TenantEventSink behind every emission point (send path, receipts,
 * inbound replies, QRs, session states, restriction breaker, reminders).
 *
 * Order: build + validate the event, record the delivery row (Postgres, the
 * source of truth: `recordEvent` chooses the webhook in SQL, only `chatId`'s
 * own active webhook subscribed to the type), then enqueue its job. A failed
 * enqueue is only logged: the row stays `pending` and the worker's sweep
 * re-enqueues it (jobId = delivery id, so a late duplicate is a no-op).
 *
 * The per-tenant subscription cache keeps tenants without a webhook (or not
 * subscribed to a type) off the database on the hot path. It can only be
 * stale in one direction that matters: a type newly subscribed by a PUT is
 * missed for at most `subscriptionCacheMs` (default 1 s). A stale "wants it"
 * costs one INSERT that matches no row, since the SQL decides.
 */
import {
  buildWebhookEvent,
  wantsEvent,
  type TenantEventSink,
  type WebhookEvent,
  type WebhookEventData,
  type WebhookEventLog,
  type WebhookEventType,
} from '@wa-dispatch/core';
import type { WebhookLogger } from './webhook-delivery.processor.js';

export interface WebhookEventRecorderOptions {
  log: WebhookEventLog;
  producer: { enqueue(deliveryId: string): Promise<void> };
  logger?: WebhookLogger;
  /** How long a tenant's subscription list is believed; 0 disables the cache. */
  subscriptionCacheMs?: number;
  now?: () => number;
}

interface CacheEntry {
  until: number;
  events: Promise<readonly string[] | null>;
}

/** Past this many cached tenants the cache is simply dropped (it refills in one lookup per tenant). */
const MAX_CACHED_TENANTS = 50_000;

const silentLogger: WebhookLogger = { info() {}, warn() {}, error() {} };

export class WebhookEventRecorder implements TenantEventSink {
  private readonly cache = new Map<bigint, CacheEntry>();
  private readonly cacheMs: number;
  private readonly now: () => number;
  private readonly logger: WebhookLogger;

  constructor(private readonly o: WebhookEventRecorderOptions) {
    this.cacheMs = o.subscriptionCacheMs ?? 1_000;
    this.now = o.now ?? Date.now;
    this.logger = o.logger ?? silentLogger;
  }

  /**
   * Resolves once the delivery is recorded (or the tenant does not want the
   * event). Rejects when the event is invalid or cannot be recorded — callers
   * on the send path fire and forget with a log. Never rejects for a failed
   * enqueue (the sweep re-enqueues) or because the receiver is down.
   */
  async emit<T extends WebhookEventType>(type: T, chatId: bigint, data: WebhookEventData<T>): Promise<void> {
    if (!(await this.wants(chatId, type))) return;
    const event = buildWebhookEvent(type, chatId, data);
    await this.record(chatId, event);
  }

  /** Records an already built event (tests, tools); same rules as emit. */
  async record(chatId: bigint, event: WebhookEvent): Promise<string | null> {
    const deliveryId = await this.o.log.recordEvent(chatId, event);
    if (deliveryId === null) return null; // no active webhook of this tenant wants it (the SQL decided)
    await this.enqueueRecorded(deliveryId, chatId, event.type);
    return deliveryId;
  }

  /**
   * Adds the job of a delivery already recorded (by `record`, or by another
   * statement such as the outbox transition). Never rejects: a failed enqueue
   * is logged and left to the pending-delivery sweep.
   */
  async enqueueRecorded(deliveryId: string, chatId: bigint, event?: WebhookEventType): Promise<void> {
    try {
      await this.o.producer.enqueue(deliveryId);
    } catch (err) {
      this.logger.warn(
        { deliveryId, chatId: chatId.toString(), ...(event ? { event } : {}), err: err instanceof Error ? err.message.slice(0, 200) : 'unknown' },
        'webhook enqueue failed; the pending-delivery sweep will retry it',
      );
    }
  }

  /** Forgets a tenant's cached subscription (same-process callers that just changed it). */
  invalidate(chatId?: bigint): void {
    if (chatId === undefined) this.cache.clear();
    else this.cache.delete(chatId);
  }

  private async wants(chatId: bigint, type: WebhookEventType): Promise<boolean> {
    if (this.cacheMs <= 0) return true; // no cache: the INSERT's own filter decides
    const now = this.now();
    let entry = this.cache.get(chatId);
    if (entry === undefined || entry.until <= now) {
      if (this.cache.size >= MAX_CACHED_TENANTS) this.cache.clear();
      const events = this.o.log.subscribedEvents(chatId);
      entry = { until: now + this.cacheMs, events };
      this.cache.set(chatId, entry);
      // a failed lookup is not cached: the next event asks again
      events.catch(() => {
        if (this.cache.get(chatId) === entry) this.cache.delete(chatId);
      });
    }
    const events = await entry.events;
    return events !== null && wantsEvent(events, type);
  }
}
