import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { SendJobData, type AuditLog, type MessageStore, type SendDispatcher, type SendOutcome } from '@wa-dispatch/core';
import type { Logger } from './logger.js';
import type { WorkerMetrics } from './metrics.js';

export interface SendProcessorOptions {
  shard: number;
  dispatcher: SendDispatcher;
  messages: MessageStore;
  audit: AuditLog;
  metrics: WorkerMetrics;
  logger: Logger;
  workerId: string;
}

/**
 * Maps the dispatcher's decision onto BullMQ: refusals and permanent failures
 * never retry; waits (pause, limits, reconnecting) go to delayed without
 * counting as an attempt; transient transport errors retry with backoff and
 * the last one marks the row failed so nothing stays queued forever.
 */
export function createSendProcessor(o: SendProcessorOptions) {
  return async (job: Job, token?: string): Promise<SendOutcome> => {
    const parsed = SendJobData.safeParse(job.data);
    if (!parsed.success) {
      o.metrics.refused.inc({ code: 'JOB.INVALID' });
      await o.audit.record({
        chatId: null,
        actor: `worker:${o.workerId}`,
        action: 'job.refused',
        code: 'JOB.INVALID',
        detail: { jobId: job.id ?? null, queueShard: o.shard },
      });
      throw new UnrecoverableError('JOB.INVALID');
    }
    const outcome = await o.dispatcher.dispatch(parsed.data, o.shard);
    o.metrics.outcomes.inc({ kind: outcome.kind, code: 'code' in outcome ? outcome.code : '' });
    switch (outcome.kind) {
      case 'sent':
      case 'noop':
        return outcome;
      case 'refused':
        o.metrics.refused.inc({ code: outcome.code });
        o.logger.warn({ messageId: parsed.data.messageId, code: outcome.code, shard: o.shard }, 'job refused');
        throw new UnrecoverableError(outcome.code);
      case 'failed':
        throw new UnrecoverableError(outcome.code);
      case 'uncertain':
        throw new UnrecoverableError('MESSAGE.UNCERTAIN');
      case 'retry': {
        const maxAttempts = job.opts.attempts ?? 1;
        if (job.attemptsMade + 1 >= maxAttempts) {
          await o.messages.transition(parsed.data.messageId, ['queued'], 'failed', {
            errorCode: outcome.code,
            errorMessage: `gave up after ${maxAttempts} attempts: ${outcome.message}`,
          });
          throw new UnrecoverableError(outcome.code);
        }
        throw new Error(outcome.code);
      }
      case 'delay':
        await job.moveToDelayed(Math.max(outcome.untilMs, Date.now() + 1), token);
        throw new DelayedError();
    }
  };
}
