/**
 * Accepting a send: the one path by which a message enters the outbox, used
 * by the API (`POST /v1/tenants/{chatId}/messages`) and by the reminder
 * processor alike. The outbox row is written first (durable), the job second.
 * If adding the job fails or hangs, the send is still accepted: the row is
 * `queued` and the worker's outbox reconciler re-enqueues rows missing from
 * their queue.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../app-error.js';
import { formatChatId } from '../chat-id.js';
import type {
  IntakeHooks,
  IntakeMessageHead,
  IntakeOutbox,
  IntakeTenantLookup,
  SendEnqueuer,
} from '../ports/message-intake.port.js';
import type { SendJobData } from './send-job.js';

export interface IntakeRequest {
  chatId: bigint;
  /** normalised E.164 digits */
  to: string;
  text: string;
  idempotencyKey?: string | undefined;
  /** default 'api' */
  source?: 'api' | 'schedule';
  /** required with source 'schedule' */
  scheduleId?: string | undefined;
}

export interface IntakeWarning {
  code: 'SESSION.NOT_LINKED' | 'TENANT.PAUSED';
  message: string;
}

export interface IntakeResult {
  /** false when an earlier request with the same idempotency key already made the row */
  created: boolean;
  message: IntakeMessageHead;
  warnings: IntakeWarning[];
}

export interface MessageIntakeOptions {
  tenants: IntakeTenantLookup;
  outbox: IntakeOutbox;
  enqueuer: SendEnqueuer;
  /** How long to wait for the enqueue before accepting anyway (the row is already durable). */
  enqueueTimeoutMs: number;
  hooks?: IntakeHooks;
}

// The worker only sends through sessions in these states (see SendDispatcher).
const LINKED = new Set(['connecting', 'connected', 'disconnected']);

export class MessageIntake {
  constructor(private readonly o: MessageIntakeOptions) {}

  /**
   * Throws TENANT.NOT_FOUND, TENANT.INACTIVE, SESSION.NOT_FOUND or
   * MESSAGE.IDEMPOTENCY_CONFLICT (a key reused with another to/text); an
   * unlinked session or a paused tenant is accepted with a warning.
   */
  async accept(req: IntakeRequest): Promise<IntakeResult> {
    const source = req.source ?? 'api';
    if (source === 'schedule' && !req.scheduleId) {
      throw new AppError('SCHEDULE.INVALID', 'a scheduled send needs its schedule id', { details: { field: 'scheduleId' } });
    }
    const tenant = await this.o.tenants.findWithSession(req.chatId);
    if (!tenant) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    if (tenant.status !== 'active') throw new AppError('TENANT.INACTIVE', 'tenant is not active');
    const session = tenant.session;
    if (!session) throw new AppError('SESSION.NOT_FOUND', 'tenant has no WhatsApp session row');

    const warnings: IntakeWarning[] = [];
    if (!LINKED.has(session.status)) {
      warnings.push({
        code: 'SESSION.NOT_LINKED',
        message: `session ${session.sessionId} is ${session.status}: the message is accepted but will not be sent until the tenant links WhatsApp (it fails with SESSION.NOT_LINKED if still unlinked when processed)`,
      });
    }
    if (tenant.paused) {
      warnings.push({ code: 'TENANT.PAUSED', message: 'tenant is paused: the message waits until sending is resumed' });
    }

    const requestHash = hashRequest(req.to, req.text);
    if (req.idempotencyKey !== undefined) {
      const existing = await this.o.outbox.findByIdempotencyKey(req.chatId, req.idempotencyKey);
      if (existing) return replay(existing, requestHash, warnings);
    }
    const { created, message } = await this.o.outbox.insertQueued({
      chatId: req.chatId,
      // always the tenant's own session row: there is no other to choose
      sessionId: session.sessionId,
      toPhone: req.to,
      text: req.text,
      idempotencyKey: req.idempotencyKey ?? null,
      requestHash,
      source,
      scheduleId: source === 'schedule' ? (req.scheduleId ?? null) : null,
    });
    // lost a race with an identical concurrent request: answer like a repeat
    if (!created) return replay(message, requestHash, warnings);

    this.o.hooks?.accepted?.(source);
    await this.enqueue({ messageId: message.id, chatId: formatChatId(req.chatId), sessionId: message.sessionId });
    return { created: true, message, warnings };
  }

  private async enqueue(job: SendJobData): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const adding = this.o.enqueuer.enqueue(job);
    // if the timeout wins, a later rejection must not become an unhandled one
    adding.catch(() => undefined);
    try {
      // a Redis outage must not hold the caller: the row is already durable
      await Promise.race([
        adding,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`enqueue timed out after ${this.o.enqueueTimeoutMs} ms`)), this.o.enqueueTimeoutMs);
        }),
      ]);
    } catch (err) {
      this.o.hooks?.enqueueFailed?.(job, err);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

function replay(existing: IntakeMessageHead, requestHash: string, warnings: IntakeWarning[]): IntakeResult {
  if (existing.requestHash !== requestHash) {
    throw new AppError('MESSAGE.IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used with a different request body');
  }
  return { created: false, message: existing, warnings };
}

/** sha256 of the canonical request: normalised phone and exact text, fixed key order. */
export function hashRequest(to: string, text: string): string {
  return createHash('sha256').update(JSON.stringify({ to, text }), 'utf8').digest('hex');
}
