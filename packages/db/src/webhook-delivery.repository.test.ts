import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebhookEvent } from '@wa-dispatch/core';
import { createTestDatabase, type TestDatabase } from '@wa-dispatch/testing';
import { createDb, type Db } from './prisma-client.js';
import { WebhookDeliveryRepository } from './webhook-delivery.repository.js';
import { WebhookRepository } from './webhook.repository.js';

// "sealing" for this test: the db package only stores and hands back opaque text
const seal = (secret: string, chatId: bigint) => `sealed:${chatId}:${secret}`;
const openSecret = (sealed: string, chatId: bigint) => {
  const prefix = `sealed:${chatId}:`;
  if (!sealed.startsWith(prefix)) throw new Error('not this tenant’s secret');
  return sealed.slice(prefix.length);
};

const A = 71n;
const B = -1_000_000_072n;
let tdb: TestDatabase;
let db: Db;
let hooks: WebhookRepository;
let deliveries: WebhookDeliveryRepository;

function statusEvent(chatId: bigint) {
  return buildWebhookEvent('message.status', chatId, { messageId: randomUUID(), status: 'sent', waMessageId: 'WAD1', error: null });
}

beforeAll(async () => {
  tdb = await createTestDatabase('db_webhooks');
  db = createDb({ url: tdb.url, max: 4 });
  hooks = new WebhookRepository(db);
  deliveries = new WebhookDeliveryRepository(db, { openSecret });
  await tdb.pool.query(`INSERT INTO tenants (chat_id, name) VALUES ($1, 'A'), ($2, 'B')`, [A.toString(), B.toString()]);
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

describe('WebhookRepository', () => {
  it('creates, updates (keeping or replacing the secret) and deletes by chat id', async () => {
    expect(await hooks.get(A)).toBeNull();
    const made = await hooks.upsert(A, { url: 'https://a.example/h', events: ['message.status'], sealedSecret: seal('s1', A), replaceSecret: false });
    expect(made).toMatchObject({ created: true, webhook: { chatId: A, url: 'https://a.example/h', events: ['message.status'], active: true } });
    const updated = await hooks.upsert(A, {
      url: 'https://a.example/h2',
      events: ['message.status', 'message.inbound'],
      sealedSecret: seal('s2', A),
      replaceSecret: false,
    });
    expect(updated).toMatchObject({ created: false, webhook: { id: made!.webhook.id, url: 'https://a.example/h2' } });
    const { rows } = await tdb.pool.query(`SELECT secret_encrypted FROM webhooks WHERE chat_id = $1`, [A.toString()]);
    expect(rows[0].secret_encrypted).toBe(seal('s1', A));
    await hooks.upsert(A, { url: 'https://a.example/h2', events: ['message.status', 'message.inbound'], sealedSecret: seal('s3', A), replaceSecret: true });
    const again = await tdb.pool.query(`SELECT secret_encrypted FROM webhooks WHERE chat_id = $1`, [A.toString()]);
    expect(again.rows[0].secret_encrypted).toBe(seal('s3', A));
    expect(await hooks.subscribedEvents(A)).toEqual(['message.status', 'message.inbound']);
    expect(await hooks.subscribedEvents(B)).toBeNull();
    expect(Object.keys((await hooks.get(A))!)).not.toContain('secretEncrypted');

    expect(await hooks.upsert(999n, { url: 'https://x.example', events: [], sealedSecret: 'x', replaceSecret: false })).toBeNull();
    expect(await hooks.delete(B)).toBe(false);
  });
});

describe('WebhookDeliveryRepository', () => {
  beforeAll(async () => {
    await hooks.upsert(A, { url: 'https://a.example/h', events: ['message.status', 'message.inbound'], sealedSecret: seal('secret-a', A), replaceSecret: true });
    await hooks.upsert(B, { url: 'https://b.example/h', events: ['message.status'], sealedSecret: seal('secret-b', B), replaceSecret: true });
  });

  it('recordEvent writes only for the tenant’s own active, subscribed webhook', async () => {
    const id = await deliveries.recordEvent(A, statusEvent(A));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const target = await deliveries.load(id!);
    expect(target).toMatchObject({ deliveryId: id, chatId: A, url: 'https://a.example/h', secret: 'secret-a', status: 'pending', series: 1, active: true, event: 'message.status' });
    expect((target!.payload as { chatId: string }).chatId).toBe(A.toString());

    // B does not subscribe to message.inbound; an event naming another tenant is never recorded
    const inbound = buildWebhookEvent('message.inbound', B, {
      inboundId: randomUUID(), sessionId: `user_${B}`, from: '+5511999990000', text: 'oi', waMessageId: 'X1', inReplyToMessageId: null, receivedAt: new Date().toISOString(),
    });
    expect(await deliveries.recordEvent(B, inbound)).toBeNull();
    expect(await deliveries.recordEvent(B, statusEvent(A))).toBeNull();
    expect(await deliveries.recordEvent(A, statusEvent(B))).toBeNull();
    expect(await deliveries.recordEvent(404n, statusEvent(404n))).toBeNull();

    await tdb.pool.query(`UPDATE webhooks SET active = false WHERE chat_id = $1`, [B.toString()]);
    expect(await deliveries.recordEvent(B, statusEvent(B))).toBeNull();
    await tdb.pool.query(`UPDATE webhooks SET active = true WHERE chat_id = $1`, [B.toString()]);
    const ofB = await deliveries.recordEvent(B, statusEvent(B));
    expect((await deliveries.load(ofB!))).toMatchObject({ chatId: B, url: 'https://b.example/h', secret: 'secret-b' });
  });

  it('logs attempts with their series; reopen is scoped to the owner and starts a new series', async () => {
    const id = (await deliveries.recordEvent(A, statusEvent(A)))!;
    const at = new Date();
    await deliveries.recordAttempt({ deliveryId: id, attempt: 1, startedAt: at, durationMs: 12.4, statusCode: 500, error: 'HTTP 500', outcome: 'retry' });
    await deliveries.recordAttempt({ deliveryId: id, attempt: 2, startedAt: at, durationMs: 3, statusCode: 400, error: 'HTTP 400', outcome: 'failed' });
    await deliveries.markFailed(id, 'HTTP 400');
    await deliveries.markDelivered(id, new Date()); // not pending any more: no effect
    expect(await deliveries.findForTenant(A, id)).toMatchObject({ status: 'failed', attempts: 2, lastStatusCode: 400, lastError: 'HTTP 400', series: 1 });

    expect(await deliveries.reopen(id, B)).toBeNull();
    expect(await deliveries.findForTenant(B, id)).toBeNull();
    expect((await deliveries.findForTenant(A, id))!.status).toBe('failed');

    expect(await deliveries.reopen(id, A)).toBe(2);
    await deliveries.recordAttempt({ deliveryId: id, attempt: 1, startedAt: at, durationMs: 5, statusCode: 204, error: null, outcome: 'delivered' });
    await deliveries.markDelivered(id, new Date());
    const detail = (await deliveries.findForTenant(A, id))!;
    expect(detail).toMatchObject({ status: 'delivered', attempts: 3, series: 2, lastError: null, lastStatusCode: 204 });
    expect(detail.deliveredAt).toBeInstanceOf(Date);
    expect(detail.attemptLog.map((a) => [a.series, a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 1, 500, 'retry'],
      [1, 2, 400, 'failed'],
      [2, 1, 204, 'delivered'],
    ]);
    const { rows } = await tdb.pool.query(`SELECT DISTINCT chat_id FROM webhook_delivery_attempts WHERE delivery_id = $1`, [id]);
    expect(rows.map((r) => r.chat_id)).toEqual([A.toString()]);
  });

  it('lists a tenant’s own deliveries newest first, paged', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await deliveries.recordEvent(B, statusEvent(B)))!);
    const first = await deliveries.listForTenant(B, { limit: 2 });
    expect(first.items.map((d) => d.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).toBe(ids[1]);
    const second = await deliveries.listForTenant(B, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((d) => d.id)).toContain(ids[0]);
    const all = await deliveries.listForTenant(B, { limit: 100 });
    expect(all.items.every((d) => (d.payload as { chatId: string }).chatId === B.toString())).toBe(true);
    const ofA = await deliveries.listForTenant(A, { limit: 100 });
    expect(ofA.items.some((d) => ids.includes(d.id))).toBe(false);
    expect((await deliveries.listForTenant(A, { limit: 100, status: 'delivered' })).items.every((d) => d.status === 'delivered')).toBe(true);
  });

  it('the sweep finds pending deliveries untouched for a while, with their series', async () => {
    const id = (await deliveries.recordEvent(A, statusEvent(A)))!;
    expect((await deliveries.pendingOlderThan(60_000, 100)).map((p) => p.deliveryId)).not.toContain(id);
    await tdb.pool.query(`UPDATE webhook_deliveries SET updated_at = now() - interval '2 minutes' WHERE id = $1`, [id]);
    expect(await deliveries.pendingOlderThan(60_000, 100)).toContainEqual({ deliveryId: id, series: 1 });
  });

  it('a secret that does not open fails the load (never signs with garbage)', async () => {
    const id = (await deliveries.recordEvent(A, statusEvent(A)))!;
    await tdb.pool.query(`UPDATE webhooks SET secret_encrypted = $1 WHERE chat_id = $2`, [seal('x', B), A.toString()]);
    await expect(deliveries.load(id)).rejects.toThrow('not this tenant’s secret');
  });

  it('deleting the webhook removes its deliveries and attempts', async () => {
    expect(await hooks.delete(B)).toBe(true);
    const { rows } = await tdb.pool.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE chat_id = $1`, [B.toString()]);
    expect(rows[0].n).toBe(0);
    expect(await hooks.get(B)).toBeNull();
  });
});
