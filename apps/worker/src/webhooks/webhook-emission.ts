/**
 * Where the worker's own happenings become tenant events (issue 6):
 *  - message.status: every committed outbox move to sent/delivered/read/failed;
 *    the transition statement records the delivery in the same commit
 *    (packages/db message-dispatch.repository.ts), this only adds its job;
 *  - message.inbound: a customer's reply once stored under the session owner;
 *  - session.qr / session.status: the session manager's QR and state reports;
 *  - tenant.restricted: the restriction breaker (it calls `events` itself).
 * The tenant is always the row's owner (the message row's chat_id, the
 * session row's chat_id_usuario), never a value read from a job alone.
 *
 * The other events are fire-and-forget: the caller never waits on the webhook
 * INSERT, and a failure is logged (ids and error codes only). At most
 * `maxInFlight` of them run at once; past that (the database is stalling)
 * they are dropped with a warning rather than piling up memory — the one
 * place an event can be lost, by design. message.status is never dropped:
 * it is already committed when this runs.
 */
import {
  jidToPhone,
  type InboundMessage,
  type TenantEventSink,
  type WebhookEventData,
  type WebhookEventType,
} from '@wa-dispatch/core';
import type { MessageStatusChange } from '@wa-dispatch/db';
import type { Logger } from '../logger.js';
import type { SessionEventSink } from '../session-manager.js';


export interface WebhookEmissionOptions {
  sink: TenantEventSink;
  /** Adds the job of a delivery already recorded in Postgres (message.status; see onMessageTransition). */
  enqueue(deliveryId: string, chatId: bigint): Promise<void>;
  logger: Logger;
  maxInFlight?: number;
  now?: () => Date;
}

export class WebhookEmission {
  private inFlight = 0;
  private droppedSinceWarn = 0;
  private readonly maxInFlight: number;
  private readonly now: () => Date;

  constructor(private readonly o: WebhookEmissionOptions) {
    this.maxInFlight = o.maxInFlight ?? 1_000;
    this.now = o.now ?? (() => new Date());
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
    const deliveryId = change.webhookDeliveryId;
    if (deliveryId === null) return;
    let pending: Promise<void>;
    try {
      pending = this.o.enqueue(deliveryId, change.chatId);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.catch((err: unknown) =>
      this.o.logger.warn({ deliveryId, chatId: change.chatId.toString(), err: errorCode(err) }, 'webhook enqueue failed; the sweep re-adds it'),
    );
  };

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
      onInbound: (chatId, inboundId, inReplyToId, message) => {
        base.onInbound?.(chatId, inboundId, inReplyToId, message);
        if (message) this.fireInbound(chatId, inboundId, inReplyToId, message);
      },
    };
  }

  /** `chatId` is the receiving session's owner (SessionManager passes the row's, as InboundRepository stored it). */
  private fireInbound(chatId: bigint, inboundId: string, inReplyToId: string | null, message: InboundMessage & { sessionId: string }): void {
    const digits = phoneDigitsOf(message);
    if (digits === null) {
      // e.g. a LID sender (no phone number): the tenant still sees it in the API, not as a webhook
      this.o.logger.debug({ inboundId, sessionId: message.sessionId }, 'inbound reply without a phone number: no webhook event');
      return;
    }
    this.fire('message.inbound', chatId, {
      inboundId,
      sessionId: message.sessionId,
      from: `+${digits}`,
      text: message.text ?? '',
      waMessageId: message.waMessageId,
      inReplyToMessageId: inReplyToId,
      receivedAt: this.now().toISOString(),
    });
  }
}

function phoneDigitsOf(message: InboundMessage): string | null {
  let digits: string | undefined = message.fromPhone;
  if (digits === undefined) {
    try {
      digits = jidToPhone(message.fromJid);
    } catch {
      return null;
    }
  }
  return /^[1-9]\d{6,14}$/.test(digits) ? digits : null;
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
