import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientMessageIdFor } from '@wa-dispatch/core';
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
