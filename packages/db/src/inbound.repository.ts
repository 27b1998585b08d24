import { buildWebhookEvent, jidToPhone, messageIdFromClientId, type InboundMessage } from '@wa-dispatch/core';
import { uuidv7 } from './uuid-v7.js';
import type { Db } from './prisma-client.js';

/**
 * Replies are filed under the tenant that owns the receiving session, never
 * under whoever the sender last talked to: the owner comes from the session,
 * and the composite FK refuses any other pairing.
 */
export class InboundRepository {
  constructor(private readonly db: Db) {}

  /**
   * Idempotent on (session, WhatsApp id): a redelivered event is stored once.
   * The tenant's `message.inbound` webhook delivery (if its own active webhook
   * subscribes) is inserted by the same statement, so the reply and the event
   * commit together; `webhookDeliveryId` is then the job to add.
   */
  async store(
    sessionId: string,
    ownerChatId: bigint,
    message: InboundMessage,
  ): Promise<{ id: string; inReplyToId: string | null; webhookDeliveryId: string | null } | null> {
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
    const id = uuidv7();
    const inReplyToId = inReplyTo?.id ?? null;
    const event = inboundEvent(id, sessionId, ownerChatId, message, inReplyToId);
    const rows = await this.db.$queryRaw<{ id: string; delivery_id: string | null }[]>`
      WITH ins AS (
        INSERT INTO inbound_messages (id, chat_id, session_id, from_jid, from_phone, text, wa_message_id, in_reply_to_id)
        VALUES (${id}::uuid, ${ownerChatId}, ${sessionId}, ${message.fromJid}, ${message.fromPhone ?? null},
                ${message.text ?? null}, ${message.waMessageId}, ${inReplyToId}::uuid)
        ON CONFLICT (session_id, wa_message_id) DO NOTHING
        RETURNING id, chat_id
      ), hooked AS (
        -- the webhook is the receiving session owner's, never anyone else's
        INSERT INTO webhook_deliveries (id, webhook_id, chat_id, event, payload, status, updated_at)
        SELECT ${uuidv7()}::uuid, w.id, w.chat_id, 'message.inbound', ${event === null ? null : JSON.stringify(event)}::jsonb, 'pending', now()
        FROM ins JOIN webhooks w ON w.chat_id = ins.chat_id AND w.active AND 'message.inbound' = ANY(w.events)
        WHERE ${event !== null}::boolean
        RETURNING id
      )
      SELECT id::text, (SELECT id::text FROM hooked) AS delivery_id FROM ins`;
    const row = rows[0];
    return row ? { id: row.id, inReplyToId, webhookDeliveryId: row.delivery_id } : null;
  }
}

/**
 * The `message.inbound` event of a reply, or null when it cannot have one: a
 * sender without a phone number (e.g. a LID), or a text or id over the
 * event's bounds; the reply is still stored.
 */
function inboundEvent(id: string, sessionId: string, ownerChatId: bigint, message: InboundMessage, inReplyToId: string | null) {
  let digits = message.fromPhone;
  if (digits === undefined) {
    try {
      digits = jidToPhone(message.fromJid);
    } catch {
      return null;
    }
  }
  const text = message.text ?? '';
  if (!/^[1-9]\d{6,14}$/.test(digits) || text.length > 65_536) return null;
  try {
    return buildWebhookEvent('message.inbound', ownerChatId, {
      inboundId: id,
      sessionId,
      from: `+${digits}`,
      text,
      waMessageId: message.waMessageId,
      inReplyToMessageId: inReplyToId,
      receivedAt: new Date().toISOString(),
    });
  } catch {
    return null; // an id outside the event's bounds: storing the reply matters more than its event
  }
}
