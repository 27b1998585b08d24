/**
 * Where the worker's own happenings become tenant events (issue 6):
 *  - message.status: every committed outbox move to sent/delivered/read/failed
 *    (MessageDispatchRepository's transition hook; receipts go through it too);
 *  - message.inbound: a customer's reply once stored under the session owner;
 *  - session.qr / session.status: the session manager's QR and state reports;
 *  - tenant.restricted: the restriction breaker (it calls `events` itself).
 * The tenant is always the row's owner (the message row's chat_id, the
 * session row's chat_id_usuario), never a value read from a job alone.
 *
 * Emission is fire-and-forget: the send path never waits on the webhook
 * INSERT, and a failure is logged (ids and error codes only) instead of
 * failing the send. At most `maxInFlight` emissions run at once; past that
 * (the database is stalling) events are dropped with a warning rather than
 * piling up memory — the one place an event can be lost, by design.
 */
import {
  jidToPhone,
  type InboundMessage,
  type MessageStatus,
  type TenantEventSink,
  type WebhookEventData,
  type WebhookEventType,
} from '@wa-dispatch/core';
import type { MessageStatusChange } from '@wa-dispatch/db';
import type { Logger } from '../logger.js';
import type { SessionEventSink } from '../session-manager.js';

/** The outbox statuses a tenant hears about (queued/sending are internal; rejected/uncertain are operator matters). */
const REPORTED: ReadonlySet<MessageStatus> = new Set(['sent', 'delivered', 'read', 'failed']);

export interface WebhookEmissionOptions {
  sink: TenantEventSink;
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

  /** MessageDispatchRepository hook: one message.status per committed move the tenant cares about. */
  readonly onMessageTransition = (change: MessageStatusChange): void => {
    if (!REPORTED.has(change.status)) return;
    const error =
      change.status === 'failed' && change.errorCode !== null
        ? { code: change.errorCode.slice(0, 64), message: (change.errorMessage ?? '').slice(0, 500) }
        : null;
    this.fire('message.status', change.chatId, {
      messageId: change.messageId,
      status: change.status,
      waMessageId: change.waMessageId,
      error,
    });
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
