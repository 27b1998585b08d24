import { uuidv7 } from './uuid-v7.js';
import type { Db } from './prisma-client.js';
import type { MessageSource, MessageStatus } from './generated/prisma/enums.js';

export interface OutboxInsert {
  chatId: bigint;
  sessionId: string;
  toPhone: string;
  text: string;
  idempotencyKey?: string | null;
  /** sha256 hex of the canonical request, compared when a key is reused */
  requestHash?: string | null;
  source?: MessageSource;
  /** The reminder schedule that fired this message (source 'schedule'). */
  scheduleId?: string | null;
}

/** The columns a send request needs back (no text: callers answer with ids). */
export interface OutboxHead {
  id: string;
  chatId: bigint;
  sessionId: string;
  status: MessageStatus;
  requestHash: string | null;
  createdAt: Date;
}

export interface OutboxMessageView {
  id: string;
  chatId: bigint;
  sessionId: string;
  toPhone: string;
  text: string;
  status: MessageStatus;
  source: MessageSource;
  attempts: number;
  waMessageId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
}

export interface OutboxEventView {
  status: MessageStatus;
  code: string | null;
  detail: string | null;
  createdAt: Date;
}

const VIEW_SELECT = {
  id: true,
  chatId: true,
  sessionId: true,
  toPhone: true,
  text: true,
  status: true,
  source: true,
  attempts: true,
  waMessageId: true,
  errorCode: true,
  errorMessage: true,
  createdAt: true,
  updatedAt: true,
  sentAt: true,
  deliveredAt: true,
  readAt: true,
} as const;

interface HeadRow {
  id: string;
  chat_id: bigint;
  session_id: string;
  status: MessageStatus;
  request_hash: string | null;
  created_at: Date;
}

/**
 * The API's side of the outbox: accepted requests become rows here before
 * any job exists, and tenants read their own rows back. Every read is keyed
 * by (chat_id, ...) so one tenant's query can never return another's row.
 */
export class OutboxRepository {
  constructor(private readonly db: Db) {}

  /**
   * Inserts the row (status queued) and its first timeline event in ONE
   * statement. With an idempotency key that is already taken the insert is a
   * no-op (ON CONFLICT DO NOTHING waits for a concurrent inserter to commit),
   * and the row that holds the key is returned with `created: false`; so two
   * racing identical requests yield one row and no unique-violation error.
   */
  async insertQueued(input: OutboxInsert): Promise<{ created: boolean; message: OutboxHead }> {
    const id = uuidv7();
    const rows = await this.db.$queryRaw<HeadRow[]>`
      WITH inserted AS (
        INSERT INTO messages (id, chat_id, session_id, to_phone, text, status, source, idempotency_key, request_hash, schedule_id)
        VALUES (${id}::uuid, ${input.chatId}, ${input.sessionId}, ${input.toPhone}, ${input.text},
                'queued', ${input.source ?? 'api'}::message_source, ${input.idempotencyKey ?? null}::varchar,
                ${input.requestHash ?? null}::char(64), ${input.scheduleId ?? null}::uuid)
        ON CONFLICT (chat_id, idempotency_key) DO NOTHING
        RETURNING id, chat_id, session_id, status, request_hash, created_at
      ), event AS (
        INSERT INTO message_events (message_id, status) SELECT id, 'queued' FROM inserted
      )
      SELECT * FROM inserted`;
    const row = rows[0];
    if (row) return { created: true, message: toHead(row) };
    if (!input.idempotencyKey) throw new Error('outbox insert returned no row without an idempotency key');
    const existing = await this.findByIdempotencyKey(input.chatId, input.idempotencyKey);
    if (!existing) throw new Error('idempotency key conflict but no row holds the key');
    return { created: false, message: existing };
  }

  async findByIdempotencyKey(chatId: bigint, idempotencyKey: string): Promise<OutboxHead | null> {
    return this.db.message.findUnique({
      where: { chatId_idempotencyKey: { chatId, idempotencyKey } },
      select: { id: true, chatId: true, sessionId: true, status: true, requestHash: true, createdAt: true },
    });
  }

  /** Null both when the id does not exist and when it belongs to another tenant. */
  async findForTenant(
    chatId: bigint,
    id: string,
  ): Promise<(OutboxMessageView & { events: OutboxEventView[] }) | null> {
    return this.db.message.findFirst({
      where: { id, chatId },
      select: {
        ...VIEW_SELECT,
        events: { select: { status: true, code: true, detail: true, createdAt: true }, orderBy: { id: 'asc' } },
      },
    });
  }

  /** A tenant's still-queued messages, oldest first, as send jobs (for a resume). */
  async queuedJobsForTenant(chatId: bigint, limit = 10_000): Promise<{ messageId: string; chatId: string; sessionId: string }[]> {
    const rows = await this.db.message.findMany({
      where: { chatId, status: 'queued' },
      select: { id: true, sessionId: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit,
    });
    return rows.map((r) => ({ messageId: r.id, chatId: chatId.toString(), sessionId: r.sessionId }));
  }

  /**
   * Newest first, keyset-paginated by id (UUIDv7, so id order is creation
   * order); `cursor` is the last id of the previous page.
   */
  async listForTenant(
    chatId: bigint,
    opts: { status?: MessageStatus; cursor?: string; limit: number },
  ): Promise<{ items: OutboxMessageView[]; nextCursor: string | null }> {
    const rows = await this.db.message.findMany({
      where: {
        chatId,
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.cursor ? { id: { lt: opts.cursor } } : {}),
      },
      select: VIEW_SELECT,
      orderBy: { id: 'desc' },
      take: opts.limit + 1,
    });
    const items = rows.slice(0, opts.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > opts.limit && last ? last.id : null };
  }

  async countForTenant(chatId: bigint): Promise<number> {
    return this.db.message.count({ where: { chatId } });
  }
}

function toHead(row: HeadRow): OutboxHead {
  return {
    id: row.id,
    chatId: BigInt(row.chat_id),
    sessionId: row.session_id,
    status: row.status,
    requestHash: row.request_hash,
    createdAt: row.created_at,
  };
}
