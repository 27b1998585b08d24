import {
  WebhookEventType,
  type WebhookAttempt,
  type WebhookDeliveryStatus,
  type WebhookDeliveryStore,
  type WebhookDeliveryTarget,
  type WebhookEvent,
} from '@wa-dispatch/core';
import type { Db } from './prisma-client.js';
import { uuidv7 } from './uuid-v7.js';

/**
 * The Postgres side of webhook delivery: the `WebhookDeliveryStore` port the
 * delivery processor reads and writes, and `recordEvent`, the write half of
 * the `WebhookEventLog` the event recorder uses (both ports are in core).
 *
 * Tenant isolation lives in the SQL: `recordEvent` picks the webhook by the
 * event's owner only; `load` joins on (webhook_id, chat_id), the pair the
 * composite FK pins; every read or change a client can ask for is keyed by
 * (chat_id, id), so another tenant's delivery is indistinguishable from none.
 */

export type WebhookDeliveryRowStatus = WebhookDeliveryStatus;

/** `load` always knows the series (the port leaves it optional for simpler stores). */
export type WebhookDeliveryTargetRow = WebhookDeliveryTarget & { series: number };

export type WebhookAttemptRow = WebhookAttempt;

export interface WebhookDeliveryView {
  id: string;
  event: string;
  status: WebhookDeliveryRowStatus;
  attempts: number;
  series: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
  /** The event body as sent (WebhookEvent). */
  payload: unknown;
}

export interface WebhookAttemptView {
  series: number;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  outcome: string;
}

export interface WebhookDeliveryRepositoryOptions {
  /**
   * Opens `webhooks.secret_encrypted` of `chatId` (the app passes
   * SecretBox.open). Throws on a secret that does not open; `load` lets
   * that error through, so the job fails instead of signing with garbage.
   */
  openSecret(sealed: string, chatId: bigint): string;
}

const VIEW_COLUMNS = `id::text, event, status, attempts, series, last_status_code, last_error, created_at, updated_at, delivered_at, payload`;

interface ViewRow {
  id: string;
  event: string;
  status: WebhookDeliveryRowStatus;
  attempts: number;
  series: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
  payload: unknown;
}

interface TargetRow {
  delivery_id: string;
  webhook_id: string;
  chat_id: bigint;
  event: string;
  payload: unknown;
  status: WebhookDeliveryRowStatus;
  series: number;
  url: string;
  secret_encrypted: string;
  active: boolean;
}

export class WebhookDeliveryRepository implements WebhookDeliveryStore {
  constructor(
    private readonly db: Db,
    private readonly opts: WebhookDeliveryRepositoryOptions,
  ) {}

  /**
   * One statement: a pending delivery for `chatId`'s own active webhook if it
   * subscribes to the event's type, and only if the event names that same
   * tenant. Returns the delivery id, or null (nothing written).
   */
  async recordEvent(chatId: bigint, event: WebhookEvent): Promise<string | null> {
    const rows = await this.db.$queryRawUnsafe<{ id: string }[]>(
      `INSERT INTO webhook_deliveries (id, webhook_id, chat_id, event, payload, status, updated_at)
       SELECT $1::uuid, w.id, w.chat_id, $3::varchar, $4::jsonb, 'pending', now()
       FROM webhooks w
       WHERE w.chat_id = $2::bigint AND w.active AND $3::text = ANY(w.events)
         AND ($4::jsonb ->> 'chatId') = w.chat_id::text AND ($4::jsonb ->> 'type') = $3::text
       RETURNING id::text`,
      uuidv7(),
      chatId,
      event.type,
      JSON.stringify(event),
    );
    return rows[0]?.id ?? null;
  }

  /** The delivery with the URL and opened secret of its own tenant's webhook (composite join). */
  async load(deliveryId: string): Promise<WebhookDeliveryTargetRow | null> {
    const rows = await this.db.$queryRawUnsafe<TargetRow[]>(
      `SELECT d.id::text AS delivery_id, w.id::text AS webhook_id, d.chat_id, d.event, d.payload, d.status, d.series,
              w.url, w.secret_encrypted, w.active
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.chat_id = d.chat_id
       WHERE d.id = $1::uuid`,
      deliveryId,
    );
    const r = rows[0];
    if (!r) return null;
    const event = WebhookEventType.safeParse(r.event);
    if (!event.success) return null; // not a type this build delivers; the job fails as not found
    const chatId = BigInt(r.chat_id);
    return {
      deliveryId: r.delivery_id,
      webhookId: r.webhook_id,
      chatId,
      event: event.data,
      payload: jsonOf(r.payload),
      status: r.status,
      url: r.url,
      secret: this.opts.openSecret(r.secret_encrypted, chatId),
      active: r.active,
      series: r.series,
    };
  }

  /** Appends to the attempt log (under the delivery's own owner and current series) and updates the summary. */
  async recordAttempt(a: WebhookAttemptRow): Promise<void> {
    await this.db.$executeRawUnsafe(
      `WITH d AS (
         UPDATE webhook_deliveries
         SET attempts = attempts + 1, last_status_code = $5::int, last_error = $6::varchar, updated_at = now()
         WHERE id = $1::uuid
         RETURNING id, chat_id, series
       )
       INSERT INTO webhook_delivery_attempts (delivery_id, chat_id, series, attempt, started_at, duration_ms, status_code, error, outcome)
       SELECT id, chat_id, series, $2::int, $3::timestamptz, $4::int, $5::int, $6::varchar, $7::varchar FROM d`,
      a.deliveryId,
      a.attempt,
      a.startedAt,
      Math.max(0, Math.round(a.durationMs)),
      a.statusCode,
      a.error === null ? null : a.error.slice(0, 500),
      a.outcome,
    );
  }

  async markDelivered(deliveryId: string, at: Date): Promise<void> {
    await this.db.$executeRawUnsafe(
      `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $2::timestamptz, last_error = NULL, updated_at = now()
       WHERE id = $1::uuid AND status = 'pending'`,
      deliveryId,
      at,
    );
  }

  async markFailed(deliveryId: string, error: string): Promise<void> {
    await this.db.$executeRawUnsafe(
      `UPDATE webhook_deliveries SET status = 'failed', last_error = $2::varchar, updated_at = now()
       WHERE id = $1::uuid AND status = 'pending'`,
      deliveryId,
      error.slice(0, 500),
    );
  }

  /** Replay: back to pending in a new series, only if the delivery is `chatId`'s. Returns the series, or null. */
  async reopen(deliveryId: string, chatId: bigint): Promise<number | null> {
    const rows = await this.db.$queryRawUnsafe<{ series: number }[]>(
      `UPDATE webhook_deliveries SET status = 'pending', series = series + 1, delivered_at = NULL, updated_at = now()
       WHERE id = $1::uuid AND chat_id = $2::bigint
       RETURNING series`,
      deliveryId,
      chatId,
    );
    return rows[0]?.series ?? null;
  }

  /** The tenant's deliveries, newest first; `cursor` is the last id of the previous page. */
  async listForTenant(
    chatId: bigint,
    opts: { limit: number; cursor?: string; status?: WebhookDeliveryRowStatus },
  ): Promise<{ items: WebhookDeliveryView[]; nextCursor: string | null }> {
    const values: unknown[] = [chatId, opts.limit + 1];
    let where = 'chat_id = $1::bigint';
    if (opts.status) {
      values.push(opts.status);
      where += ` AND status = $${values.length}::varchar`;
    }
    if (opts.cursor) {
      values.push(opts.cursor);
      where += ` AND id < $${values.length}::uuid`;
    }
    const rows = await this.db.$queryRawUnsafe<ViewRow[]>(
      `SELECT ${VIEW_COLUMNS} FROM webhook_deliveries WHERE ${where} ORDER BY id DESC LIMIT $2::int`,
      ...values,
    );
    const items = rows.slice(0, opts.limit).map(toView);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > opts.limit && last ? last.id : null };
  }

  /** One delivery of `chatId` with its attempt log (oldest first); null for another tenant's id. */
  async findForTenant(chatId: bigint, deliveryId: string): Promise<(WebhookDeliveryView & { attemptLog: WebhookAttemptView[] }) | null> {
    const rows = await this.db.$queryRawUnsafe<ViewRow[]>(
      `SELECT ${VIEW_COLUMNS} FROM webhook_deliveries WHERE id = $1::uuid AND chat_id = $2::bigint`,
      deliveryId,
      chatId,
    );
    const row = rows[0];
    if (!row) return null;
    const attempts = await this.db.$queryRawUnsafe<
      { series: number; attempt: number; started_at: Date; duration_ms: number; status_code: number | null; error: string | null; outcome: string }[]
    >(
      `SELECT series, attempt, started_at, duration_ms, status_code, error, outcome
       FROM webhook_delivery_attempts WHERE delivery_id = $1::uuid AND chat_id = $2::bigint ORDER BY id`,
      deliveryId,
      chatId,
    );
    return {
      ...toView(row),
      attemptLog: attempts.map((a) => ({
        series: a.series,
        attempt: a.attempt,
        startedAt: a.started_at,
        durationMs: a.duration_ms,
        statusCode: a.status_code,
        error: a.error,
        outcome: a.outcome,
      })),
    };
  }

  /**
   * Pending deliveries untouched for `olderThanMs` (their job may be lost:
   * enqueue failed, Redis flushed), oldest first, with their current series
   * so the sweep re-adds exactly that series' job id.
   */
  async pendingOlderThan(olderThanMs: number, limit: number): Promise<{ deliveryId: string; series: number }[]> {
    const rows = await this.db.$queryRawUnsafe<{ id: string; series: number }[]>(
      `SELECT id::text, series FROM webhook_deliveries
       WHERE status = 'pending' AND updated_at < now() - ($1::int * interval '1 millisecond')
       ORDER BY updated_at LIMIT $2::int`,
      Math.max(0, Math.floor(olderThanMs)),
      limit,
    );
    return rows.map((r) => ({ deliveryId: r.id, series: r.series }));
  }
}

function jsonOf(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

function toView(r: ViewRow): WebhookDeliveryView {
  return {
    id: r.id,
    event: r.event,
    status: r.status,
    attempts: r.attempts,
    series: r.series,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deliveredAt: r.delivered_at,
    payload: jsonOf(r.payload),
  };
}
