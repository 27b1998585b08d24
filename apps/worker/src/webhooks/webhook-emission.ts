/**
 * Where the worker's own happenings become tenant events (issue 6):
 *  - message.status: every committed outbox move to sent/delivered/read/failed;
 *    the transition statement records the delivery in the same commit
 *    (packages/db message-dispatch.repository.ts), this only adds its job;
 *  - message.inbound: a customer's reply; InboundRepository stores its
 *    delivery with the reply itself (same statement), this only adds its job;
 *  - session.qr / session.status: the session manager's QR and state reports;
 *  - tenant.restricted: the restriction breaker (it calls `events` itself).
 * The tenant is always the row's owner (the message row's chat_id, the
 * session row's chat_id_usuario), never a value read from a job alone.
 *
 * The session and restriction events are fire-and-forget: the caller never
 * waits on the webhook INSERT, and a failure is logged (ids and error codes
 * only). At most
 * `maxInFlight` of them run at once; past that (the database is stalling)
 * they are dropped with a warning rather than piling up memory — the one
 * place an event can be lost, by design. message.status and message.inbound
 * are never dropped: they are already committed when this runs.
 */
import type { TenantEventSink, WebhookEventData, WebhookEventType } from '@wa-dispatch/core';
import type { MessageStatusChange } from '@wa-dispatch/db';
import type { Logger } from '../logger.js';
import type { SessionEventSink } from '../session-manager.js';

export interface WebhookEmissionOptions {
  sink: TenantEventSink;
  /** Adds the job of a delivery already recorded in Postgres (message.status, message.inbound). */
  enqueue(deliveryId: string, chatId: bigint): Promise<void>;
  logger: Logger;
  maxInFlight?: number;
}

export class WebhookEmission {
  private inFlight = 0;
  private droppedSinceWarn = 0;
  private readonly maxInFlight: number;

  constructor(private readonly o: WebhookEmissionOptions) {
    this.maxInFlight = o.maxInFlight ?? 1_000;
  }

  /** Starts recording an event without waiting for it. */
  fire<T extends WebhookEventType>(type: T, chatId: bigint, data: WebhookEventData<T>): void {
    if (this.inFlight >= this.maxInFlight) {
      if (this.droppedSinceWarn++ % 1_000 === 0) {
        this.o.logger.warn({ type, chatId: chatId.toString(), inFlight: this.inFlight }, 'webhook events dropped: too many in flight');
      }
      return;
    }
    this.inFlight++;
    let pending: Promise<void>;
    try {
      pending = this.o.sink.emit(type, chatId, data);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending
      .catch((err: unknown) => this.o.logger.warn({ type, chatId: chatId.toString(), err: errorCode(err) }, 'webhook event not recorded'))
      .finally(() => {
        this.inFlight--;
      });
  }

  /**
   * MessageDispatchRepository hook. The transition statement itself recorded
   * the tenant's message.status delivery (same commit as the status), so only
   * its job is added here; a lost enqueue is re-added by the pending sweep.
   */
  readonly onMessageTransition = (change: MessageStatusChange): void => {
    if (change.webhookDeliveryId !== null) this.enqueue(change.webhookDeliveryId, change.chatId);
  };

  /** Adds the job of a delivery already in Postgres; never throws (the sweep re-adds a lost one). */
  private enqueue(deliveryId: string, chatId: bigint): void {
    let pending: Promise<void>;
    try {
      pending = this.o.enqueue(deliveryId, chatId);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.catch((err: unknown) =>
      this.o.logger.warn({ deliveryId, chatId: chatId.toString(), err: errorCode(err) }, 'webhook enqueue failed; the sweep re-adds it'),
    );
  }

  /**
   * `base` (the QR hand-off to the API) runs as before and is awaited where
   * it was; the webhook events are fired alongside it.
   */
  sessionEvents(base: SessionEventSink): SessionEventSink {
    return {
      onQr: async (chatId, qr, expiresAt, session) => {
        this.fire('session.qr', session.chatIdUsuario, { sessionId: session.sessionId, qr, expiresAt: expiresAt.toISOString() });
        await base.onQr?.(chatId, qr, expiresAt, session);
      },
      onSessionState: (session, state, info) => {
        base.onSessionState?.(session, state, info);
        this.fire('session.status', session.chatIdUsuario, {
          sessionId: session.sessionId,
          status: state,
          phone: info.number && /^\d{8,15}$/.test(info.number) ? info.number : null,
          reason: info.code ? info.code.slice(0, 64) : null,
        });
      },
      onReceipt: (sessionId, waMessageId, status) => base.onReceipt?.(sessionId, waMessageId, status),
      onInbound: (chatId, inboundId, inReplyToId, message, webhookDeliveryId) => {
        base.onInbound?.(chatId, inboundId, inReplyToId, message, webhookDeliveryId);
        // the delivery was stored with the reply (InboundRepository); only its job is added here
        if (webhookDeliveryId) this.enqueue(webhookDeliveryId, chatId);
      },
    };
  }
}

/** What may be logged about an error: its code or class, never a message that could echo data. */
function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    if (err instanceof Error) return err.name;
  }
  return 'unknown';
}
