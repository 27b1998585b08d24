import { createHash } from 'node:crypto';
import { AppError, formatChatId, type SendJobData } from '@wa-dispatch/core';
import type { OutboxHead, OutboxRepository, TenantRepository } from '@wa-dispatch/db';
import type { ApiMetrics } from '../http/api-metrics.js';
import type { Logger } from '../logger.js';

export interface SendEnqueuer {
  enqueue(job: SendJobData): Promise<void>;
}

export interface SendRequest {
  chatId: bigint;
  /** normalised E.164 digits */
  to: string;
  text: string;
  idempotencyKey?: string | undefined;
}

export interface Warning {
  code: 'SESSION.NOT_LINKED' | 'TENANT.PAUSED';
  message: string;
}

export interface SendResult {
  /** 202 for a new message, 200 for an idempotent repeat */
  httpStatus: 200 | 202;
  body: { id: string; status: string; sessionId: string; warnings?: Warning[] };
}

// The worker only sends through sessions in these states (see SendDispatcher).
const LINKED = new Set(['connecting', 'connected', 'disconnected']);

/**
 * Accepting a send: the outbox row is written first (durable), the job second.
 * If adding the job fails the request still succeeds: the row is `queued`
 * and the worker's reconciler re-enqueues rows missing from their queue.
 */
export class MessageSender {
  constructor(
    private readonly o: {
      tenants: TenantRepository;
      outbox: OutboxRepository;
      producer: SendEnqueuer;
      logger: Logger;
      metrics: ApiMetrics;
      enqueueTimeoutMs: number;
    },
  ) {}

  async send(req: SendRequest): Promise<SendResult> {
    const tenant = await this.o.tenants.findWithSession(req.chatId);
    if (!tenant) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    if (tenant.status !== 'active') throw new AppError('TENANT.INACTIVE', 'tenant is not active');
    const session = tenant.session;
    if (!session) throw new AppError('SESSION.NOT_FOUND', 'tenant has no WhatsApp session row');

    const warnings: Warning[] = [];
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
      if (existing) return this.replay(existing, requestHash, warnings);
    }
    const { created, message } = await this.o.outbox.insertQueued({
      chatId: req.chatId,
      sessionId: session.sessionId,
      toPhone: req.to,
      text: req.text,
      idempotencyKey: req.idempotencyKey ?? null,
      requestHash,
    });
    // lost a race with an identical concurrent request: answer like a repeat
    if (!created) return this.replay(message, requestHash, warnings);

    this.o.metrics.accepted.inc();
    await this.enqueue({ messageId: message.id, chatId: formatChatId(req.chatId), sessionId: message.sessionId });
    return { httpStatus: 202, body: this.body(message, warnings) };
  }

  private replay(existing: OutboxHead, requestHash: string, warnings: Warning[]): SendResult {
    if (existing.requestHash !== requestHash) {
      throw new AppError(
        'MESSAGE.IDEMPOTENCY_CONFLICT',
        'this Idempotency-Key was already used with a different request body',
      );
    }
    return { httpStatus: 200, body: this.body(existing, warnings) };
  }

  private body(m: OutboxHead, warnings: Warning[]): SendResult['body'] {
    return { id: m.id, status: m.status, sessionId: m.sessionId, ...(warnings.length ? { warnings } : {}) };
  }

  private async enqueue(job: SendJobData): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const adding = this.o.producer.enqueue(job);
    // if the timeout wins, a later rejection must not become an unhandled one
    adding.catch(() => undefined);
    try {
      // a Redis outage must not hold the request open: the row is already durable
      await Promise.race([
        adding,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`enqueue timed out after ${this.o.enqueueTimeoutMs} ms`)), this.o.enqueueTimeoutMs);
        }),
      ]);
    } catch (err) {
      this.o.metrics.enqueueFailures.inc();
      // ids only: never the phone number or the text
      this.o.logger.warn(
        { messageId: job.messageId, chatId: job.chatId, err: err instanceof Error ? err.message.slice(0, 200) : 'unknown' },
        'enqueue failed; the outbox reconciler will re-enqueue this message',
      );
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

/** sha256 of the canonical request: normalised phone and exact text, fixed key order. */
export function hashRequest(to: string, text: string): string {
  return createHash('sha256').update(JSON.stringify({ to, text }), 'utf8').digest('hex');
}
