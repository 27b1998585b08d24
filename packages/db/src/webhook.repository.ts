import type { Db } from './prisma-client.js';
import { uuidv7 } from './uuid-v7.js';

/** A tenant's webhook as the API shows it: never the secret, sealed or not. */
export interface WebhookRecord {
  id: string;
  chatId: bigint;
  url: string;
  events: string[];
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookUpsert {
  url: string;
  events: readonly string[];
  /**
   * The sealed signing secret (the caller encrypts; this package never sees
   * a plain secret). Stored on create; on update only if `replaceSecret`.
   */
  sealedSecret: string;
  replaceSecret: boolean;
}

interface Row {
  id: string;
  chat_id: bigint;
  url: string;
  events: string[] | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id::text, chat_id, url, events, active, created_at, updated_at`;

/**
 * The one webhook of a tenant (`webhooks.chat_id` is UNIQUE), always addressed
 * by chat id: there is no call here that takes a webhook id from a client.
 */
export class WebhookRepository {
  constructor(private readonly db: Db) {}

  async get(chatId: bigint): Promise<WebhookRecord | null> {
    const rows = await this.db.$queryRawUnsafe<Row[]>(`SELECT ${COLUMNS} FROM webhooks WHERE chat_id = $1::bigint`, chatId);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Creates or replaces the tenant's webhook (url, events, active again).
   * Returns null when the tenant does not exist (nothing written); `created`
   * says whether the row is new, i.e. whether its secret is the one passed in.
   */
  async upsert(chatId: bigint, input: WebhookUpsert): Promise<{ webhook: WebhookRecord; created: boolean } | null> {
    // (xmax = 0) is true only for a row this statement inserted, not one it updated
    const rows = await this.db.$queryRawUnsafe<(Row & { created: boolean })[]>(
      `INSERT INTO webhooks (id, chat_id, url, events, secret_encrypted, active, updated_at)
       SELECT $2::uuid, t.chat_id, $3::varchar, $4::text[], $5::text, true, now() FROM tenants t WHERE t.chat_id = $1::bigint
       ON CONFLICT (chat_id) DO UPDATE SET
         url = EXCLUDED.url,
         events = EXCLUDED.events,
         active = true,
         secret_encrypted = CASE WHEN $6::boolean THEN EXCLUDED.secret_encrypted ELSE webhooks.secret_encrypted END,
         updated_at = now()
       RETURNING ${COLUMNS}, (xmax = 0) AS created`,
      chatId,
      uuidv7(),
      input.url,
      [...input.events],
      input.sealedSecret,
      input.replaceSecret,
    );
    const row = rows[0];
    return row ? { webhook: toRecord(row), created: row.created } : null;
  }

  /** Deletes the tenant's webhook and, by cascade, its delivery log. */
  async delete(chatId: bigint): Promise<boolean> {
    const rows = await this.db.$queryRawUnsafe<{ id: string }[]>(`DELETE FROM webhooks WHERE chat_id = $1::bigint RETURNING id::text`, chatId);
    return rows.length > 0;
  }

  /** Event types the tenant's active webhook subscribes to; null without one. */
  async subscribedEvents(chatId: bigint): Promise<string[] | null> {
    const rows = await this.db.$queryRawUnsafe<{ events: string[] | null }[]>(
      `SELECT events FROM webhooks WHERE chat_id = $1::bigint AND active`,
      chatId,
    );
    return rows[0] ? (rows[0].events ?? []) : null;
  }
}

function toRecord(r: Row): WebhookRecord {
  return {
    id: r.id,
    chatId: BigInt(r.chat_id),
    url: r.url,
    events: r.events ?? [],
    active: r.active,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
