import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientMessageIdFor, WebhookEvent } from '@wa-dispatch/core';
import { createTestDatabase, seedTenants, type TestDatabase } from '@wa-dispatch/testing';
import { createDb, type Db } from './prisma-client.js';
import { MessageDispatchRepository } from './message-dispatch.repository.js';
import { OutboxRepository } from './outbox.repository.js';

let tdb: TestDatabase;
let db: Db;
let messages: MessageDispatchRepository;
let outbox: OutboxRepository;

beforeAll(async () => {
  tdb = await createTestDatabase('db_receipts');
  db = createDb({ url: tdb.url, max: 3 });
  messages = new MessageDispatchRepository(db);
  outbox = new OutboxRepository(db);
  await seedTenants(tdb.pool, [31n, 32n]);
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

const statusOf = async (id: string) => (await tdb.pool.query(`SELECT status FROM messages WHERE id = $1`, [id])).rows[0]?.status;

describe('MessageDispatchRepository.applyReceipt', () => {
  it('reports a receipt that overtook the sent write as early, then applies it once the row is sent', async () => {
    const { message } = await outbox.insertQueued({ chatId: 31n, sessionId: 'user_31', toPhone: '5521970001111', text: 'fatura' });
    const wa = clientMessageIdFor(message.id);
    expect(await messages.transition(message.id, ['queued'], 'sending', { countAttempt: true })).toBe(true);
    expect(await messages.applyReceipt('user_31', wa, 'delivered')).toBe('early');
    expect(await statusOf(message.id)).toBe('sending');
    expect(await messages.transition(message.id, ['sending'], 'sent', { waMessageId: wa })).toBe(true);
    expect(await messages.applyReceipt('user_31', wa, 'delivered')).toBe('applied');
    expect(await statusOf(message.id)).toBe('delivered');
    // a repeated or backwards receipt changes nothing
    expect(await messages.applyReceipt('user_31', wa, 'delivered')).toBe('ignored');
    expect(await messages.applyReceipt('user_31', wa, 'read')).toBe('applied');
    expect(await statusOf(message.id)).toBe('read');
  });

  it("ignores a receipt arriving on another tenant's session", async () => {
    const { message } = await outbox.insertQueued({ chatId: 31n, sessionId: 'user_31', toPhone: '5521970001111', text: 'fatura 2' });
    const wa = clientMessageIdFor(message.id);
    await messages.transition(message.id, ['queued'], 'sending', { countAttempt: true });
    await messages.transition(message.id, ['sending'], 'sent', { waMessageId: wa });
    expect(await messages.applyReceipt('user_32', wa, 'delivered')).toBe('ignored');
    expect(await statusOf(message.id)).toBe('sent');
  });

  it('matches ids the library chose by the stored wa_message_id', async () => {
    const { message } = await outbox.insertQueued({ chatId: 31n, sessionId: 'user_31', toPhone: '5521970001111', text: 'fatura 3' });
    await messages.transition(message.id, ['queued'], 'sending', { countAttempt: true });
    await messages.transition(message.id, ['sending'], 'sent', { waMessageId: '3EB0123456789ABC' });
    expect(await messages.applyReceipt('user_31', '3EB0123456789ABC', 'read')).toBe('applied');
    expect(await messages.applyReceipt('user_31', '3EB0FFFFFFFFFFFF', 'read')).toBe('ignored');
  });
});

describe('MessageDispatchRepository.transition and the tenant webhook', () => {
  const deliveriesOf = async (chatId: bigint) =>
    (await tdb.pool.query(`SELECT id::text, chat_id::text, event, payload, status FROM webhook_deliveries WHERE chat_id = $1 ORDER BY id`, [chatId.toString()])).rows;

  it('records message.status in the same statement, for the row’s own tenant only, and only for reported statuses', async () => {
    await tdb.pool.query(
      `INSERT INTO webhooks (id, chat_id, url, events, secret_encrypted) VALUES (gen_random_uuid(), 31, 'https://a.example/h', '{message.status}', 'sealed')`,
    );
    await tdb.pool.query(
      `INSERT INTO webhooks (id, chat_id, url, events, secret_encrypted) VALUES (gen_random_uuid(), 32, 'https://b.example/h', '{message.inbound}', 'sealed')`,
    );
    const seen: (string | null)[] = [];
    const hooked = new MessageDispatchRepository(db, undefined, { onTransition: (c) => void seen.push(c.webhookDeliveryId) });
    const a = (await outbox.insertQueued({ chatId: 31n, sessionId: 'user_31', toPhone: '5521970001111', text: 'fatura' })).message;
    const wa = clientMessageIdFor(a.id);
    await hooked.transition(a.id, ['queued'], 'sending', { countAttempt: true });
    await hooked.transition(a.id, ['sending'], 'sent', { waMessageId: wa });
    const b = (await outbox.insertQueued({ chatId: 32n, sessionId: 'user_32', toPhone: '5521970002222', text: 'fatura' })).message;
    await hooked.transition(b.id, ['queued'], 'failed', { errorCode: 'SESSION.NOT_LINKED', errorMessage: 'session is unlinked' });

    const ofA = await deliveriesOf(31n);
    expect(ofA).toHaveLength(1); // `sending` is not reported
    expect(seen).toEqual([null, ofA[0].id, null]); // B's webhook does not subscribe to message.status
    expect(await deliveriesOf(32n)).toEqual([]);
    const event = WebhookEvent.parse(ofA[0].payload);
    expect(event).toMatchObject({ type: 'message.status', chatId: '31', data: { messageId: a.id, status: 'sent', waMessageId: wa, error: null } });
    expect(ofA[0]).toMatchObject({ event: 'message.status', status: 'pending' });
  });

  it('a failure carries its error in the event', async () => {
    await tdb.pool.query(`UPDATE webhooks SET events = '{message.status}' WHERE chat_id = 32`);
    const m = (await outbox.insertQueued({ chatId: 32n, sessionId: 'user_32', toPhone: '5521970002222', text: 'x' })).message;
    await messages.transition(m.id, ['queued'], 'failed', { errorCode: 'SESSION.NOT_LINKED', errorMessage: 'session is unlinked' });
    const [d] = await deliveriesOf(32n);
    expect(WebhookEvent.parse(d.payload).data).toEqual({
      messageId: m.id,
      status: 'failed',
      waMessageId: null,
      error: { code: 'SESSION.NOT_LINKED', message: 'session is unlinked' },
    });
  });
});

