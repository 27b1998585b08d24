import { messageIdFromClientId, type MessageStatus, type MessageStore, type OutboxMessage, type TransitionPatch } from '@wa-dispatch/core';
import type { Db } from './prisma-client.js';
import type { SqlPools } from './sql-pool.js';
import { uuidv7 } from './uuid-v7.js';

/** A status move that committed, as the row itself reports it (owner included). */
export interface MessageStatusChange {
  messageId: string;
  /** The row's own tenant (RETURNING chat_id), never a caller's claim. */
  chatId: bigint;
  status: MessageStatus;
  waMessageId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  /**
   * The `message.status` webhook delivery recorded by the same statement (the
   * tenant's own active webhook subscribes to it), to be enqueued; null when
   * none was recorded.
   */
  webhookDeliveryId: string | null;
}

export interface MessageDispatchHooks {
  /**
   * Called after each committed transition (tenant webhooks, issue 6). It must
   * not block or throw: it runs on the send path; errors are swallowed here.
   */
  onTransition?(change: MessageStatusChange): void;
}

/**
 * The worker's side of the outbox. A transition is one statement: the status
 * compare-and-set and its timeline event commit together or not at all, so
 * the timeline never shows a move that did not happen.
 */
export class MessageDispatchRepository implements MessageStore {
  /**
   * With `sql` pools the hot path runs as plain statements; without them
   * (tests, tools) the same SQL goes through Prisma.
   */
  constructor(
    private readonly db: Db,
    private readonly sql?: SqlPools,
    private readonly hooks: MessageDispatchHooks = {},
  ) {}

  async findById(id: string): Promise<OutboxMessage | null> {
    if (this.sql) {
      const { rows } = await this.sql.strict.query<RawMessage>({ name: 'wad_find_message', text: FIND_SQL, values: [id] });
      return rows[0] ? fromRaw(rows[0]) : null;
    }
    const row = await this.db.message.findUnique({
      where: { id },
      select: {
        id: true,
        chatId: true,
        sessionId: true,
        toPhone: true,
        text: true,
        status: true,
        attempts: true,
        waMessageId: true,
        createdAt: true,
        source: true,
      },
    });
    return row;
  }

  async transition(
    id: string,
    from: readonly MessageStatus[],
    to: MessageStatus,
    patch: TransitionPatch = {},
  ): Promise<boolean> {
    const values = [
      id,
      from,
      to,
      patch.countAttempt ? 1 : 0,
      patch.waMessageId ?? null,
      patch.errorCode !== undefined,
      patch.errorCode ?? null,
      patch.errorMessage !== undefined,
      truncate(patch.errorMessage),
      uuidv7(), // the webhook delivery's id, used only if one is recorded
    ];
    let rows: MovedRow[];
    if (this.sql) {
      const pool = RELAXED_TARGETS.has(to) ? this.sql.relaxed : this.sql.strict;
      ({ rows } = await pool.query<MovedRow>({ name: 'wad_transition', text: TRANSITION_SQL, values }));
    } else {
      rows = await this.db.$queryRawUnsafe<MovedRow[]>(TRANSITION_SQL, ...values);
    }
    const moved = rows[0];
    if (rows.length !== 1 || !moved) return false;
    if (this.hooks.onTransition) {
      try {
        this.hooks.onTransition({
          messageId: moved.message_id,
          chatId: BigInt(moved.chat_id),
          status: to,
          waMessageId: moved.wa_message_id,
          errorCode: moved.error_code,
          errorMessage: moved.error_message,
          webhookDeliveryId: moved.webhook_delivery_id,
        });
      } catch {
        // a listener's bug must never fail a transition that already committed
      }
    }
    return true;
  }

  /**
   * Receipts arrive keyed by WhatsApp's id and only within the session that
   * sent the message, so a receipt can never touch another tenant's row.
   */
  /**
   * 'applied' when the receipt moved the row; 'early' when the row is still
   * `sending` — the receipt overtook the `sent` write, and the caller should
   * try again shortly; 'ignored' otherwise (unknown id, another session's
   * message, or a receipt that does not advance the status).
   */
  async applyReceipt(sessionId: string, waMessageId: string, status: 'delivered' | 'read'): Promise<'applied' | 'early' | 'ignored'> {
    const from: MessageStatus[] = status === 'delivered' ? ['sent'] : ['sent', 'delivered'];
    // our own ids name their row, so a receipt matches before wa_message_id is stored
    const ownId = messageIdFromClientId(waMessageId);
    const row = await this.db.message.findFirst({
      where: { sessionId, ...(ownId ? { id: ownId } : { waMessageId }) },
      select: { id: true, status: true },
    });
    if (!row) return 'ignored';
    if (row.status === 'sending') return 'early';
    if (!from.includes(row.status)) return 'ignored';
    return (await this.transition(row.id, from, status)) ? 'applied' : 'ignored';
  }
}

/** Moves that happen after the transport accepted the message; see sql-pool.ts. */
const RELAXED_TARGETS: ReadonlySet<MessageStatus> = new Set(['sent', 'delivered', 'read']);

const TRANSITION_SQL = `
  WITH moved AS (
    UPDATE messages SET
      status = $3::message_status,
      attempts = attempts + $4::int,
      wa_message_id = COALESCE($5::varchar, wa_message_id),
      error_code = CASE WHEN $6::boolean THEN $7::varchar ELSE error_code END,
      error_message = CASE WHEN $8::boolean THEN $9::varchar ELSE error_message END,
      sent_at = CASE WHEN $3::message_status = 'sent' THEN now() ELSE sent_at END,
      delivered_at = CASE WHEN $3::message_status = 'delivered' THEN now() ELSE delivered_at END,
      read_at = CASE WHEN $3::message_status = 'read' THEN now() ELSE read_at END,
      updated_at = now()
    WHERE id = $1::uuid AND status = ANY($2::message_status[])
    RETURNING id, chat_id, wa_message_id, error_code, error_message
  ), logged AS (
    INSERT INTO message_events (message_id, status, code, detail)
    SELECT id, $3::message_status, $7::varchar, $9::varchar FROM moved
  ), hooked AS (
    -- the tenant's message.status event commits with the status itself, so no
    -- crash between the two can lose it; the webhook is chosen by the row's own
    -- chat_id (packages/core/src/events/tenant-events.ts has the envelope's schema)
    INSERT INTO webhook_deliveries (id, webhook_id, chat_id, event, payload, status, updated_at)
    SELECT $10::uuid, w.id, w.chat_id, 'message.status',
           jsonb_build_object(
             'id', gen_random_uuid(),
             'type', 'message.status',
             'createdAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'chatId', m.chat_id::text,
             'data', jsonb_build_object(
               'messageId', m.id,
               'status', $3::text,
               'waMessageId', m.wa_message_id,
               'error', CASE WHEN $3::text = 'failed' AND m.error_code IS NOT NULL
                        THEN jsonb_build_object('code', left(m.error_code, 64), 'message', left(COALESCE(m.error_message, ''), 500))
                        END)),
           'pending', now()
    FROM moved m JOIN webhooks w ON w.chat_id = m.chat_id AND w.active AND 'message.status' = ANY(w.events)
    WHERE $3::text IN ('sent', 'delivered', 'read', 'failed')
    RETURNING id
  )
  SELECT id::text AS message_id, chat_id, wa_message_id, error_code, error_message,
         (SELECT id::text FROM hooked) AS webhook_delivery_id
  FROM moved`;

interface MovedRow {
  message_id: string;
  chat_id: bigint;
  wa_message_id: string | null;
  error_code: string | null;
  error_message: string | null;
  webhook_delivery_id: string | null;
}

const FIND_SQL = `
  SELECT id, chat_id, session_id, to_phone, text, status::text AS status, attempts, wa_message_id, created_at,
         source::text AS source
  FROM messages WHERE id = $1::uuid`;

interface RawMessage {
  id: string;
  chat_id: bigint;
  session_id: string;
  to_phone: string;
  text: string;
  status: MessageStatus;
  attempts: number;
  wa_message_id: string | null;
  created_at: Date;
  source: 'api' | 'schedule';
}

function fromRaw(r: RawMessage): OutboxMessage {
  return {
    id: r.id,
    chatId: r.chat_id,
    sessionId: r.session_id,
    toPhone: r.to_phone,
    text: r.text,
    status: r.status,
    attempts: r.attempts,
    waMessageId: r.wa_message_id,
    createdAt: r.created_at,
    source: r.source,
  };
}

function truncate(text: string | null | undefined): string | null {
  if (text === undefined || text === null) return null;
  return text.length > 500 ? text.slice(0, 500) : text;
}
