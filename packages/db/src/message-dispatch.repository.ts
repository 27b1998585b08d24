import type { MessageStatus, MessageStore, OutboxMessage, TransitionPatch } from '@wa-dispatch/core';
import type { Db } from './prisma-client.js';

/**
 * The worker's side of the outbox. A transition is one statement: the status
 * compare-and-set and its timeline event commit together or not at all, so
 * the timeline never shows a move that did not happen.
 */
export class MessageDispatchRepository implements MessageStore {
  constructor(private readonly db: Db) {}

  async findById(id: string): Promise<OutboxMessage | null> {
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
    const rows = await this.db.$queryRaw<{ message_id: string }[]>`
      WITH moved AS (
        UPDATE messages SET
          status = ${to}::message_status,
          attempts = attempts + ${patch.countAttempt ? 1 : 0},
          wa_message_id = COALESCE(${patch.waMessageId ?? null}::varchar, wa_message_id),
          error_code = CASE WHEN ${patch.errorCode !== undefined} THEN ${patch.errorCode ?? null}::varchar ELSE error_code END,
          error_message = CASE WHEN ${patch.errorMessage !== undefined} THEN ${patch.errorMessage ?? null}::varchar ELSE error_message END,
          sent_at = CASE WHEN ${to} = 'sent' THEN now() ELSE sent_at END,
          delivered_at = CASE WHEN ${to} = 'delivered' THEN now() ELSE delivered_at END,
          read_at = CASE WHEN ${to} = 'read' THEN now() ELSE read_at END,
          updated_at = now()
        WHERE id = ${id}::uuid AND status = ANY(${from as MessageStatus[]}::message_status[])
        RETURNING id
      )
      INSERT INTO message_events (message_id, status, code, detail)
      SELECT id, ${to}::message_status, ${patch.errorCode ?? null}::varchar, ${truncate(patch.errorMessage)}::varchar
      FROM moved
      RETURNING message_id`;
    return rows.length === 1;
  }

  /**
   * Receipts arrive keyed by WhatsApp's id and only within the session that
   * sent the message, so a receipt can never touch another tenant's row.
   */
  async applyReceipt(sessionId: string, waMessageId: string, status: 'delivered' | 'read'): Promise<boolean> {
    const from: MessageStatus[] = status === 'delivered' ? ['sent'] : ['sent', 'delivered'];
    const row = await this.db.message.findFirst({
      where: { sessionId, waMessageId, status: { in: from } },
      select: { id: true },
    });
    if (!row) return false;
    return this.transition(row.id, from, status);
  }
}

function truncate(text: string | null | undefined): string | null {
  if (text === undefined || text === null) return null;
  return text.length > 500 ? text.slice(0, 500) : text;
}
