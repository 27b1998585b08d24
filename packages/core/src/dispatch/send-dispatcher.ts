/**
 * The send decision, free of BullMQ and Prisma. A job is only a pointer to an
 * outbox row; before anything leaves, all of these must hold or the job is
 * refused (never re-routed):
 *   1. the job's chatId/sessionId are the row's, and the session row is owned
 *      by that chatId (the database enforces session_id = 'user_' || chat_id);
 *   2. the job came from the queue of shardOf(chatId), and this worker holds
 *      that shard's lease right now (checked again just before the transport);
 *   3. the live socket was opened for that same session id and owner.
 * There is no fallback to any other session.
 */
import { AppError } from '../app-error.js';
import type { ErrorCode } from '../error-codes.js';
import { isSessionIdOf } from '../session-id.js';
import { shardOf } from '../shard.js';
import type { AuditLog } from '../ports/audit-log.port.js';
import type { Clock } from '../ports/clock.port.js';
import type { MessageStore, OutboxMessage } from '../ports/message-store.port.js';
import type { SessionRecord, SessionStore } from '../ports/session-store.port.js';
import type { TransportSession } from '../ports/transport.port.js';
import { clientMessageIdFor } from './client-message-id.js';
import { TERMINAL_STATUSES } from './message-status.js';
import type { SendJobData } from './send-job.js';

export interface ShardGuard {
  /** The epoch under which this worker holds `shard`, or undefined if it does not. */
  epochOf(shard: number): bigint | undefined;
}

export interface LiveSessions {
  get(sessionId: string): TransportSession | undefined;
}

export interface GateContext {
  message: OutboxMessage;
  session: SessionRecord;
  now: number;
}

/** A reason to hold a message back for now (pause, kill switch, rate limit). */
export interface SendGate {
  readonly name: string;
  /** Returns when to look again, or undefined to let the message pass. */
  check(ctx: GateContext): Promise<{ untilMs: number; code: ErrorCode } | undefined>;
}

export interface SendDispatcherOptions {
  messages: MessageStore;
  sessions: SessionStore;
  audit: AuditLog;
  shardGuard: ShardGuard;
  live: LiveSessions;
  shardCount: number;
  workerId: string;
  clock: Clock;
  /** Gates checked before claiming the row. */
  gates?: readonly SendGate[];
  /** Gates checked again right before the transport call (kill switch). */
  lastMomentGates?: readonly SendGate[];
  /** How long a linked-but-disconnected session may hold a message. */
  disconnectedMaxWaitMs?: number;
  reconnectPollMs?: number;
}

export type SendOutcome =
  | { kind: 'sent'; waMessageId: string; recovered?: boolean }
  | { kind: 'noop'; reason: 'missing' | 'already-final' | 'claimed-elsewhere' }
  | { kind: 'refused'; code: ErrorCode; message: string }
  | { kind: 'failed'; code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> }
  | { kind: 'retry'; code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> }
  | { kind: 'delay'; untilMs: number; code: ErrorCode }
  | { kind: 'uncertain' };

const LINKED_STATES = new Set(['connecting', 'connected', 'disconnected']);

export class SendDispatcher {
  private readonly disconnectedMaxWaitMs: number;
  private readonly reconnectPollMs: number;

  constructor(private readonly o: SendDispatcherOptions) {
    this.disconnectedMaxWaitMs = o.disconnectedMaxWaitMs ?? 15 * 60_000;
    this.reconnectPollMs = o.reconnectPollMs ?? 2_000;
  }

  async dispatch(job: SendJobData, queueShard: number): Promise<SendOutcome> {
    const chatId = BigInt(job.chatId);
    // both lookups at once: the send path is bound by round trips, not work
    const [message, session] = await Promise.all([
      this.o.messages.findById(job.messageId),
      this.o.sessions.findById(job.sessionId),
    ]);
    if (!message) {
      return this.refuse(null, chatId, job, queueShard, 'JOB.INVALID', 'job points at no outbox row', false);
    }
    if (message.chatId !== chatId || message.sessionId !== job.sessionId) {
      return this.refuse(message.chatId, chatId, job, queueShard, 'SESSION.OWNER_MISMATCH', 'job does not match its outbox row');
    }
    if (!session || session.chatIdUsuario !== chatId || !isSessionIdOf(job.sessionId, chatId)) {
      return this.refuse(message.chatId, chatId, job, queueShard, 'SESSION.OWNER_MISMATCH', 'session is not owned by the job tenant');
    }
    if (shardOf(chatId, this.o.shardCount) !== queueShard) {
      return this.refuse(message.chatId, chatId, job, queueShard, 'SHARD.WRONG_SHARD', 'job is on another shard queue');
    }
    const epoch = this.o.shardGuard.epochOf(queueShard);
    if (epoch === undefined) {
      // Not a refusal: the shard is moving; its next holder will take the job.
      return { kind: 'delay', untilMs: this.o.clock.now() + this.reconnectPollMs, code: 'SHARD.LEASE_LOST' };
    }
    if (TERMINAL_STATUSES.has(message.status)) return { kind: 'noop', reason: 'already-final' };

    const live = this.o.live.get(job.sessionId);
    if (live && (live.sessionId !== job.sessionId || live.ownerChatId !== chatId)) {
      return this.refuse(message.chatId, chatId, job, queueShard, 'SESSION.SOCKET_MISMATCH', 'live socket belongs to another session');
    }

    const clientMessageId = clientMessageIdFor(message.id);
    if (message.status === 'sending') {
      const recovered = await this.recoverInterrupted(message, live, clientMessageId);
      if (recovered) return recovered;
    }

    if (!LINKED_STATES.has(session.status)) {
      await this.o.messages.transition(message.id, ['queued', 'sending'], 'failed', {
        errorCode: 'SESSION.NOT_LINKED',
        errorMessage: `session ${session.sessionId} is ${session.status}`,
      });
      return { kind: 'failed', code: 'SESSION.NOT_LINKED', message: `session is ${session.status}` };
    }
    const now = this.o.clock.now();
    if (!live || !live.isOpen()) {
      if (now - message.createdAt.getTime() > this.disconnectedMaxWaitMs) {
        await this.o.messages.transition(message.id, ['queued', 'sending'], 'failed', {
          errorCode: 'TRANSPORT.DISCONNECTED',
          errorMessage: 'session stayed disconnected past the wait limit',
        });
        return { kind: 'failed', code: 'TRANSPORT.DISCONNECTED', message: 'session stayed disconnected' };
      }
      return { kind: 'delay', untilMs: now + this.reconnectPollMs, code: 'TRANSPORT.DISCONNECTED' };
    }

    const held = await this.runGates(this.o.gates, { message, session, now });
    if (held) return held;

    if (message.status === 'queued') {
      const claimed = await this.o.messages.transition(message.id, ['queued'], 'sending', { countAttempt: true });
      if (!claimed) return { kind: 'noop', reason: 'claimed-elsewhere' };
    }

    const lastMoment = await this.runGates(this.o.lastMomentGates, { message, session, now: this.o.clock.now() });
    if (lastMoment) {
      await this.o.messages.transition(message.id, ['sending'], 'queued');
      return lastMoment;
    }
    // A paused or partitioned process must not send on a lease it has lost.
    if (this.o.shardGuard.epochOf(queueShard) !== epoch) {
      await this.o.messages.transition(message.id, ['sending'], 'queued');
      return { kind: 'delay', untilMs: this.o.clock.now() + this.reconnectPollMs, code: 'SHARD.LEASE_LOST' };
    }
    return this.send(message, live, clientMessageId);
  }

  private async send(message: OutboxMessage, live: TransportSession, clientMessageId: string): Promise<SendOutcome> {
    try {
      const { waMessageId } = await live.send({ to: message.toPhone, text: message.text, clientMessageId });
      await this.o.messages.transition(message.id, ['sending'], 'sent', { waMessageId, errorCode: null, errorMessage: null });
      return { kind: 'sent', waMessageId };
    } catch (err) {
      const e = AppError.is(err) ? err : new AppError('TRANSPORT.SEND_FAILED', 'transport error', { retryable: true, cause: err });
      // details carry e.g. a restriction's end (untilMs / retryAfterMs) for the restriction breaker
      const details = Object.keys(e.details).length > 0 ? { details: e.details } : {};
      if (e.retryable) {
        await this.o.messages.transition(message.id, ['sending'], 'queued', { errorCode: e.code, errorMessage: e.message });
        return { kind: 'retry', code: e.code, message: e.message, ...details };
      }
      await this.o.messages.transition(message.id, ['sending'], 'failed', { errorCode: e.code, errorMessage: e.message });
      return { kind: 'failed', code: e.code, message: e.message, ...details };
    }
  }

  /**
   * A row left in `sending` means an earlier attempt died between claiming it
   * and recording the result. Resend only if the transport proves the message
   * did not leave; if it cannot tell, park it as `uncertain` for a human.
   */
  private async recoverInterrupted(
    message: OutboxMessage,
    live: TransportSession | undefined,
    clientMessageId: string,
  ): Promise<SendOutcome | undefined> {
    if (!live) return undefined; // wait for the session; the row stays `sending`
    const sent = await live.wasSent(clientMessageId);
    if (sent === true) {
      await this.o.messages.transition(message.id, ['sending'], 'sent', { waMessageId: clientMessageId });
      return { kind: 'sent', waMessageId: clientMessageId, recovered: true };
    }
    if (sent === undefined) {
      await this.o.messages.transition(message.id, ['sending'], 'uncertain', {
        errorCode: 'TRANSPORT.SEND_FAILED',
        errorMessage: 'interrupted while sending; the transport cannot tell whether it left',
      });
      await this.o.audit.record({
        chatId: message.chatId,
        actor: `worker:${this.o.workerId}`,
        action: 'message.uncertain',
        detail: { messageId: message.id },
      });
      return { kind: 'uncertain' };
    }
    return undefined; // proven not sent: go on and send it
  }

  private async runGates(
    gates: readonly SendGate[] | undefined,
    ctx: GateContext,
  ): Promise<SendOutcome | undefined> {
    for (const gate of gates ?? []) {
      const held = await gate.check(ctx);
      if (held) return { kind: 'delay', untilMs: held.untilMs, code: held.code };
    }
    return undefined;
  }

  private async refuse(
    rowChatId: bigint | null,
    chatId: bigint,
    job: SendJobData,
    queueShard: number,
    code: ErrorCode,
    message: string,
    markRow = true,
  ): Promise<SendOutcome> {
    if (markRow) {
      await this.o.messages.transition(job.messageId, ['queued', 'sending'], 'rejected', {
        errorCode: code,
        errorMessage: message,
      });
    }
    await this.o.audit.record({
      // the row's tenant, never the job's claim: a forged chatId may name no tenant
      chatId: rowChatId,
      actor: `worker:${this.o.workerId}`,
      action: 'job.refused',
      code,
      detail: { messageId: job.messageId, jobChatId: chatId.toString(), jobSessionId: job.sessionId, queueShard },
    });
    return { kind: 'refused', code, message };
  }
}
