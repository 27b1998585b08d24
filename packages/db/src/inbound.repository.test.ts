import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientMessageIdFor, WebhookEvent } from '@wa-dispatch/core';
import { createTestDatabase, seedTenants, type TestDatabase } from '@wa-dispatch/testing';
import { createDb, type Db } from './prisma-client.js';
import { InboundRepository } from './inbound.repository.js';
import { OutboxRepository } from './outbox.repository.js';

let tdb: TestDatabase;
let db: Db;
let inbound: InboundRepository;
let outbox: OutboxRepository;
let seq = 0;

const reply = (quotedWaMessageId?: string) => ({
  waMessageId: `IN${++seq}`,
  fromJid: '5521970001111@s.whatsapp.net',
  fromPhone: '5521970001111',
  text: 'pago',
  ...(quotedWaMessageId === undefined ? {} : { quotedWaMessageId }),
});

beforeAll(async () => {
  tdb = await createTestDatabase('db_inbound');
  db = createDb({ url: tdb.url, max: 3 });
  inbound = new InboundRepository(db);
  outbox = new OutboxRepository(db);
  await seedTenants(tdb.pool, [21n, 22n]);
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

describe('InboundRepository: which outbound message a reply answers', () => {
  it('matches a reply quoting our own message id before the sent write has recorded it', async () => {
    const { message } = await outbox.insertQueued({ chatId: 21n, sessionId: 'user_21', toPhone: '5521970001111', text: 'fatura' });
    // the row is still queued: wa_message_id is not stored yet
    const stored = await inbound.store('user_21', 21n, reply(clientMessageIdFor(message.id)));
    expect(stored?.inReplyToId).toBe(message.id);
  });

  it('matches a quoted id recorded by the sent write (ids the library chose)', async () => {
    const { message } = await outbox.insertQueued({ chatId: 21n, sessionId: 'user_21', toPhone: '5521970001111', text: 'fatura 2' });
    await tdb.pool.query(`UPDATE messages SET status = 'sent', wa_message_id = '3EB0AAAABBBBCCCC' WHERE id = $1`, [message.id]);
    expect((await inbound.store('user_21', 21n, reply('3EB0AAAABBBBCCCC')))?.inReplyToId).toBe(message.id);
  });

  it("never links a reply to another tenant's message, whatever it quotes", async () => {
    const { message } = await outbox.insertQueued({ chatId: 21n, sessionId: 'user_21', toPhone: '5521970001111', text: 'fatura 3' });
    await tdb.pool.query(`UPDATE messages SET status = 'sent', wa_message_id = '3EB0DDDDEEEEFFFF' WHERE id = $1`, [message.id]);
    expect((await inbound.store('user_22', 22n, reply(clientMessageIdFor(message.id))))?.inReplyToId).toBeNull();
    expect((await inbound.store('user_22', 22n, reply('3EB0DDDDEEEEFFFF')))?.inReplyToId).toBeNull();
  });

  it('stores a redelivered reply once', async () => {
    const r = reply();
    expect(await inbound.store('user_21', 21n, r)).not.toBeNull();
    expect(await inbound.store('user_21', 21n, r)).toBeNull();
  });
});

describe('InboundRepository: the message.inbound webhook delivery', () => {
  it('is stored with the reply, for the receiving owner’s webhook only, and once per reply', async () => {
    await tdb.pool.query(
      `INSERT INTO webhooks (id, chat_id, url, events, secret_encrypted) VALUES (gen_random_uuid(), 21, 'https://a.example/h', '{message.inbound}', 'sealed'),
       (gen_random_uuid(), 22, 'https://b.example/h', '{message.inbound}', 'sealed')`,
    );
    const { message } = await outbox.insertQueued({ chatId: 21n, sessionId: 'user_21', toPhone: '5521970001111', text: 'fatura 9' });
    const r = reply(clientMessageIdFor(message.id));
    const stored = await inbound.store('user_21', 21n, r);
    expect(stored?.webhookDeliveryId).toEqual(expect.any(String));
    const { rows } = await tdb.pool.query(`SELECT chat_id::text, event, payload FROM webhook_deliveries WHERE id = $1`, [stored!.webhookDeliveryId]);
    expect(rows[0]).toMatchObject({ chat_id: '21', event: 'message.inbound' });
    expect(WebhookEvent.parse(rows[0].payload)).toMatchObject({
      chatId: '21',
      data: { inboundId: stored!.id, sessionId: 'user_21', from: '+5521970001111', text: 'pago', inReplyToMessageId: message.id },
    });
    // a redelivered reply makes no second event; B's webhook never gets A's reply
    expect(await inbound.store('user_21', 21n, r)).toBeNull();
    const { rows: all } = await tdb.pool.query(`SELECT chat_id::text FROM webhook_deliveries WHERE event = 'message.inbound'`);
    expect(all).toEqual([{ chat_id: '21' }]);
  });

  it('stores a reply without a phone number (a LID sender) with no event', async () => {
    const stored = await inbound.store('user_22', 22n, { waMessageId: 'LID1', fromJid: '1234567890@lid', text: 'oi' });
    expect(stored).toMatchObject({ webhookDeliveryId: null });
  });
});

