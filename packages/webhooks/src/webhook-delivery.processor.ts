/**
 * Delivers one webhook delivery per job. Per attempt:
 *  1. job data must be exactly `{deliveryId}`; the store supplies URL, secret
 *     and payload of that delivery's own tenant (nothing in the job chooses them);
 *  2. a delivery that is not `pending`, or whose current attempt series is
 *     not the job's (a replay superseded it), is skipped (a stale job);
 *     a payload whose `chatId` is not the delivery's owner is refused;
 *  3. the URL guard runs again (DNS may have changed since registration);
 *  4. POST the JSON body with `WA-Dispatch-Signature`, a timeout and no
 *     redirect following, to the address the guard approved (pinned-post.ts);
 *  5. 2xx: delivered. 5xx, 408, 429, timeouts, network and DNS errors: retry
 *     (WebhookRetryableError → webhookBackoffStrategy). Anything else
 *     (other 4xx, 3xx, refused URL, bad data): UnrecoverableError, no retry.
 * Every attempt is recorded; the last failing one marks the delivery failed.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { AppError, type WebhookAttempt, type WebhookDeliveryStore, type WebhookDeliveryTarget } from '@wa-dispatch/core';
import { WebhookRetryableError, parseRetryAfter } from './webhook-backoff.js';
import { WebhookJobData, seriesOfJobId } from './webhook-job.js';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';
import { assertDeliverableUrl, type HostLookup } from './url-guard.js';
import { pinnedPost, type PostResult } from './pinned-post.js';

export interface WebhookLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

const silentLogger: WebhookLogger = { info() {}, warn() {}, error() {} };

export interface WebhookDeliveryProcessorOptions {
  store: WebhookDeliveryStore;
  /** Deployment switch: allow loopback/private targets (tests, private installs). */
  allowPrivate: boolean;
  lookup?: HostLookup;
  /** TESTS ONLY: POST with this fetch instead of the address-pinned request (no DNS pinning then). */
  fetch?: typeof globalThis.fetch;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  now?: () => number;
  logger?: WebhookLogger;
  userAgent?: string;
}

export type WebhookDeliveryResult =
  | { outcome: 'delivered'; statusCode: number; attempt: number }
  | { outcome: 'skipped'; reason: 'not_pending' | 'stale_series' };

/** The slice of a BullMQ job the processor reads. */
export type WebhookJobLike = Pick<Job<unknown>, 'data' | 'attemptsMade' | 'opts' | 'id'>;

const MAX_ERROR = 500;

function short(text: string): string {
  return text.length <= MAX_ERROR ? text : `${text.slice(0, MAX_ERROR - 1)}…`;
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout';
    const ownCode = (err as { code?: unknown }).code;
    if (typeof ownCode === 'string') return `${ownCode}: ${err.message}`;
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return `${typeof code === 'string' ? code : cause.name}: ${cause.message}`;
    }
    return `${err.name}: ${err.message}`;
  }
  return String(err);
}

function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export class WebhookDeliveryProcessor {
  private readonly store: WebhookDeliveryStore;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly logger: WebhookLogger;
  private readonly userAgent: string;

  constructor(private readonly opts: WebhookDeliveryProcessorOptions) {
    this.store = opts.store;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? silentLogger;
    this.userAgent = opts.userAgent ?? 'wa-dispatch-webhooks/1';
  }

  /** BullMQ processor function: `new Worker(name, processor.handler, …)`. */
  readonly handler = (job: Job<WebhookJobData>): Promise<WebhookDeliveryResult> => this.process(job);

  async process(job: WebhookJobLike): Promise<WebhookDeliveryResult> {
    const parsed = WebhookJobData.safeParse(job.data);
    if (!parsed.success) {
      this.logger.error({ jobId: job.id }, 'webhook job data invalid');
      throw new UnrecoverableError('JOB.INVALID');
    }
    const { deliveryId } = parsed.data;
    const attempt = job.attemptsMade + 1;
    const isLast = attempt >= (job.opts.attempts ?? 1);

    const target = await this.store.load(deliveryId);
    if (target === null) throw new UnrecoverableError('WEBHOOK.NOT_FOUND');
    if (target.status !== 'pending') return { outcome: 'skipped', reason: 'not_pending' };
    const jobSeries = seriesOfJobId(job.id); // null: an id not made by webhookJobId, nothing to compare
    if (target.series !== undefined && jobSeries !== null && jobSeries !== target.series) {
      return { outcome: 'skipped', reason: 'stale_series' };
    }

    const startedAt = new Date(this.now());
    const refusal = this.refusal(target);
    if (refusal !== null) return this.fail(target, attempt, startedAt, null, refusal);

    let checked: Awaited<ReturnType<typeof assertDeliverableUrl>>;
    try {
      checked = await assertDeliverableUrl(target.url, {
        allowPrivate: this.opts.allowPrivate,
        ...(this.opts.lookup === undefined ? {} : { lookup: this.opts.lookup }),
      });
    } catch (err) {
      const e = AppError.is(err) ? err : null;
      const reason = `WEBHOOK.URL_REFUSED: ${String(e?.details.reason ?? 'invalid')}`;
      if (e?.retryable === true && !isLast) return this.retry(target, attempt, startedAt, null, reason, null);
      return this.fail(target, attempt, startedAt, null, reason);
    }

    const body = JSON.stringify(target.payload);
    const timestampSec = Math.floor(this.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'user-agent': this.userAgent,
      [WEBHOOK_SIGNATURE_HEADER]: signWebhook(target.secret, timestampSec, body),
      'WA-Dispatch-Event': target.event,
      'WA-Dispatch-Delivery': target.deliveryId,
    };
    let response: PostResult;
    try {
      response = await this.post(checked, headers, body);
    } catch (err) {
      const reason = describeFetchError(err);
      if (isLast) return this.fail(target, attempt, startedAt, null, reason);
      return this.retry(target, attempt, startedAt, null, reason, null);
    }
    const status = response.status;

    if (status >= 200 && status < 300) {
      await this.store.recordAttempt(this.attemptRow(target, attempt, startedAt, status, null, 'delivered'));
      await this.store.markDelivered(target.deliveryId, new Date(this.now()));
      this.logger.info({ deliveryId, attempt, status }, 'webhook delivered');
      return { outcome: 'delivered', statusCode: status, attempt };
    }
    const reason = `HTTP ${status}`;
    if (isRetryableStatus(status) && !isLast) {
      const retryAfter = parseRetryAfter(response.retryAfter, this.now());
      return this.retry(target, attempt, startedAt, status, reason, retryAfter);
    }
    return this.fail(target, attempt, startedAt, status, reason);
  }

  /**
   * Production: connect to the address the guard just approved (pinned-post.ts,
   * no second DNS answer). With an injected `fetch` (tests), fetch as given.
   */
  private async post(checked: { url: URL; addresses: string[] }, headers: Record<string, string>, body: string): Promise<PostResult> {
    if (this.opts.fetch === undefined) {
      return pinnedPost({ url: checked.url, address: checked.addresses[0]!, headers, body, timeoutMs: this.timeoutMs });
    }
    const res = await this.opts.fetch(checked.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // The response body is not used; release the connection.
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  }

  /** Defence in depth: the payload must belong to the delivery's owner. */
  private refusal(target: WebhookDeliveryTarget): string | null {
    if (!target.active) return 'WEBHOOK.INACTIVE';
    const payload = target.payload as { chatId?: unknown; type?: unknown } | null;
    if (payload === null || typeof payload !== 'object' || payload.chatId !== String(target.chatId)) {
      return 'WEBHOOK.OWNER_MISMATCH';
    }
    if (payload.type !== target.event) return 'WEBHOOK.EVENT_MISMATCH';
    return null;
  }

  private attemptRow(
    target: WebhookDeliveryTarget,
    attempt: number,
    startedAt: Date,
    statusCode: number | null,
    error: string | null,
    outcome: WebhookAttempt['outcome'],
  ): WebhookAttempt {
    return {
      deliveryId: target.deliveryId,
      attempt,
      startedAt,
      durationMs: Math.max(0, this.now() - startedAt.getTime()),
      statusCode,
      error: error === null ? null : short(error),
      outcome,
    };
  }

  private async retry(
    target: WebhookDeliveryTarget,
    attempt: number,
    startedAt: Date,
    statusCode: number | null,
    reason: string,
    retryAfterMs: number | null,
  ): Promise<never> {
    await this.store.recordAttempt(this.attemptRow(target, attempt, startedAt, statusCode, reason, 'retry'));
    this.logger.warn({ deliveryId: target.deliveryId, attempt, statusCode, reason }, 'webhook attempt failed, will retry');
    throw new WebhookRetryableError(short(reason), retryAfterMs);
  }

  private async fail(
    target: WebhookDeliveryTarget,
    attempt: number,
    startedAt: Date,
    statusCode: number | null,
    reason: string,
  ): Promise<never> {
    await this.store.recordAttempt(this.attemptRow(target, attempt, startedAt, statusCode, reason, 'failed'));
    await this.store.markFailed(target.deliveryId, short(reason));
    this.logger.warn({ deliveryId: target.deliveryId, attempt, statusCode, reason }, 'webhook delivery failed');
    throw new UnrecoverableError(short(reason));
  }
}
