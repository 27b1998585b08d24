import { messageIdFromClientId, type InboundMessage } from '@wa-dispatch/core';
import type { Db } from './prisma-client.js';

/**
 * Replies are filed under the tenant that owns the receiving session, never
 * under whoever the sender last talked to: the owner comes from the session,
 * and the composite FK refuses any other pairing.
 */
export class InboundRepository {
  constructor(private readonly db: Db) {}

  /** Idempotent on (session, WhatsApp id): a redelivered event is stored once. */
  async store(sessionId: string, ownerChatId: bigint, message: InboundMessage): Promise<{ id: string; inReplyToId: string | null } | null> {
    const quoted = message.quotedWaMessageId;
    // Our own message ids name their outbox row, so a quick reply matches even
    // before the `sent` write (which stores wa_message_id) has committed; the
    // owner and session conditions still decide whose row it may be.
    const ownId = quoted ? messageIdFromClientId(quoted) : null;
    const inReplyTo = quoted
      ? await this.db.message.findFirst({
          where: { sessionId, chatId: ownerChatId, ...(ownId ? { id: ownId } : { waMessageId: quoted }) },
          select: { id: true },
        })
      : null;
    const rows = await this.db.$queryRaw<{ id: string }[]>`
      INSERT INTO inbound_messages (id, chat_id, session_id, from_jid, from_phone, text, wa_message_id, in_reply_to_id)
      VALUES (gen_random_uuid(), ${ownerChatId}, ${sessionId}, ${message.fromJid}, ${message.fromPhone ?? null},
              ${message.text ?? null}, ${message.waMessageId}, ${inReplyTo?.id ?? null}::uuid)
      ON CONFLICT (session_id, wa_message_id) DO NOTHING
      RETURNING id`;
    const row = rows[0];
    return row ? { id: row.id, inReplyToId: inReplyTo?.id ?? null } : null;
  }
}
