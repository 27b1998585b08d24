import { MessageIntake, type IntakeWarning, type SendEnqueuer } from '@wa-dispatch/core';
import type { OutboxRepository, TenantRepository } from '@wa-dispatch/db';
import type { ApiMetrics } from '../http/api-metrics.js';
import type { Logger } from '../logger.js';

export { hashRequest, type SendEnqueuer } from '@wa-dispatch/core';

export interface SendRequest {
  chatId: bigint;
  /** normalised E.164 digits */
  to: string;
  text: string;
  idempotencyKey?: string | undefined;
}

export type Warning = IntakeWarning;

export interface SendResult {
  /** 202 for a new message, 200 for an idempotent repeat */
  httpStatus: 200 | 202;
  body: { id: string; status: string; sessionId: string; warnings?: Warning[] };
}

/**
 * The HTTP face of `MessageIntake` (packages/core), the one accept-a-send
 * path the reminder processor uses too: this class only wires the API's
 * repositories, metrics and log line, and shapes the answer.
 */
export class MessageSender {
  private readonly intake: MessageIntake;

  constructor(
    o: {
      tenants: TenantRepository;
      outbox: OutboxRepository;
      producer: SendEnqueuer;
      logger: Logger;
      metrics: ApiMetrics;
      enqueueTimeoutMs: number;
    },
  ) {
    this.intake = new MessageIntake({
      tenants: o.tenants,
      outbox: o.outbox,
      enqueuer: o.producer,
      enqueueTimeoutMs: o.enqueueTimeoutMs,
      hooks: {
        accepted: () => o.metrics.accepted.inc(),
        enqueueFailed: (job, err) => {
          o.metrics.enqueueFailures.inc();
          // ids only: never the phone number or the text
          o.logger.warn(
            { messageId: job.messageId, chatId: job.chatId, err: err instanceof Error ? err.message.slice(0, 200) : 'unknown' },
            'enqueue failed; the outbox reconciler will re-enqueue this message',
          );
        },
      },
    });
  }

  async send(req: SendRequest): Promise<SendResult> {
    const { created, message, warnings } = await this.intake.accept({
      chatId: req.chatId,
      to: req.to,
      text: req.text,
      idempotencyKey: req.idempotencyKey,
      source: 'api',
    });
    return {
      httpStatus: created ? 202 : 200,
      body: { id: message.id, status: message.status, sessionId: message.sessionId, ...(warnings.length ? { warnings } : {}) },
    };
  }
}
