import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import {
  SendJobData,
  jitterFor,
  type AuditLog,
  type MessageStore,
  type SendDispatcher,
  type SendOutcome,
} from '@wa-dispatch/core';
import type { Logger } from './logger.js';
import type { WorkerMetrics } from './metrics.js';
import type { RestrictionBreaker } from './pacing/restriction-breaker.js';

export interface SendProcessorOptions {
  shard: number;
  dispatcher: SendDispatcher;
  messages: MessageStore;
  audit: AuditLog;
  metrics: WorkerMetrics;
  logger: Logger;
  workerId: string;
  /** Restriction circuit breaker; without it restriction errors are plain retries/failures. */
  breaker?: RestrictionBreaker;
  /** Wake-ups after a restriction's end are spread over this many ms (default 2000). */
  restrictionSpreadMs?: number;
}

/**
 * Maps the dispatcher's decision onto BullMQ: refusals and permanent failures
 * never retry; waits (pause, limits, reconnecting) go to delayed without
 * counting as an attempt; transient transport errors retry with backoff and
 * the last one marks the row failed so nothing stays queued forever.
 *
 * Restriction breaker: a send that fails with TRANSPORT.RESTRICTED or
 * TRANSPORT.RATE_LIMITED trips the tenant's breaker and the message waits
 * (delayed until the restriction's end, not failed); TRANSPORT.REACHOUT_LOCKED
 * (WhatsApp 463) trips the first-contact lock and the refused message ends
 * `failed` — it is never resent automatically.
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
      case 'failed': {
        const kind = o.breaker?.kindOf(outcome.code);
        if (kind && o.breaker) await o.breaker.trip(BigInt(parsed.data.chatId), kind, outcome.details, parsed.data.messageId);
        throw new UnrecoverableError(outcome.code);
      }
      case 'uncertain':
        throw new UnrecoverableError('MESSAGE.UNCERTAIN');
      case 'retry': {
        const kind = o.breaker?.kindOf(outcome.code);
        if (kind && o.breaker) {
          const chatId = BigInt(parsed.data.chatId);
          if (kind === 'reachout_locked') {
            // a 463-refused message is never resent automatically, even if the transport called it retryable
            await o.messages.transition(parsed.data.messageId, ['queued'], 'failed', {
              errorCode: outcome.code,
              errorMessage: outcome.message,
            });
            await o.breaker.trip(chatId, kind, outcome.details, parsed.data.messageId);
            throw new UnrecoverableError(outcome.code);
          }
          const end = await o.breaker.trip(chatId, kind, outcome.details, parsed.data.messageId);
          // the row is back in `queued`: it waits for the restriction's end (a delay, not a failed attempt)
          await job.moveToDelayed(Math.max(end + jitterFor(Math.random, o.restrictionSpreadMs ?? 2_000), Date.now() + 1), token);
          throw new DelayedError();
        }
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
        o.metrics.held.inc({ code: outcome.code });
        await job.moveToDelayed(Math.max(outcome.untilMs, Date.now() + 1), token);
        throw new DelayedError();
    }
  };
}
