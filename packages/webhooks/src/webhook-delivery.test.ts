import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor.js';
import { WebhookProducer } from './webhook-producer.js';
import { createWebhookWorker } from './webhook-worker.js';
import { buildWebhookEvent, WebhookEvent } from '@wa-dispatch/core';
import { verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from './webhook-signature.js';
import { webhookBackoffDelay } from './webhook-backoff.js';
import { seriesOfJobId, webhookJobId } from './webhook-job.js';
import { InMemoryDeliveryStore } from './test-support/in-memory-delivery-store.js';
import { startReceiver, type Receiver } from './test-support/receiver.js';


let redis: TestRedis;
let workerConn: Redis;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await createTestRedis('webhooks');
  workerConn = new Redis(redis.url, { maxRetriesPerRequest: null });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(async () => {
  expect(await redis.wipe()).toBeGreaterThan(0); // the queues lived under the test's prefix
  expect(await redis.client.keys(`${redis.prefix}:*`)).toEqual([]);
  workerConn.disconnect();
  await redis.close();
});

async function until(pred: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function receiver(respond?: (n: number) => number): Promise<Receiver> {
  const r = await startReceiver(respond);
  cleanups.push(() => r.close());
  return r;
}

function setup(opts: { attempts?: number; allowPrivate?: boolean } = {}) {
  const store = new InMemoryDeliveryStore();
  const processor = new WebhookDeliveryProcessor({ store, allowPrivate: opts.allowPrivate ?? true, timeoutMs: 2_000 });
  const queueName = `{webhooks}-${randomUUID().slice(0, 8)}`; // own queue per test, under the test's prefix
  const producer = new WebhookProducer({
    connection: redis.client,
    queueName,
    prefix: redis.prefix,
    attempts: opts.attempts ?? 6,
    store,
  });
  const worker = createWebhookWorker({
    connection: workerConn,
    queueName,
    prefix: redis.prefix,
    processor,
    concurrency: 4,
    backoff: { baseMs: 20, maxMs: 80 },
  });
  worker.on('error', () => undefined);
  cleanups.push(async () => {
    await worker.close();
    await producer.close();
  });
  return { store, producer, worker };
}

function statusEvent(chatId: bigint) {
  return buildWebhookEvent('message.status', chatId, {
    messageId: randomUUID(),
    status: 'delivered',
    waMessageId: 'WA' + randomUUID().slice(0, 8),
    error: null,
  });
}

function inboundEvent(chatId: bigint, text: string) {
  return buildWebhookEvent('message.inbound', chatId, {
    inboundId: randomUUID(),
    sessionId: `user_${chatId}`,
    from: '+5511999998888',
    text,
    waMessageId: 'WAIN' + randomUUID().slice(0, 8),
    inReplyToMessageId: randomUUID(),
    receivedAt: new Date().toISOString(),
  });
}

describe('webhook delivery (BullMQ + local receivers)', () => {
  it('a receiver failing 3 times then succeeding gets the event exactly once; every attempt logged; signature verifies', async () => {
    const rcv = await receiver((n) => (n < 3 ? 503 : 200));
    const { store, producer } = setup();
    store.addWebhook({ webhookId: 'w1', chatId: 1001n, url: rcv.url, secret: 'secret-1', active: true });
    const id = randomUUID();
    const event = statusEvent(1001n);
    store.addDelivery(id, 'w1', event);
    await producer.enqueue(id);
    await producer.enqueue(id); // duplicate enqueue is a no-op (jobId = deliveryId)

    await until(() => store.deliveries.get(id)?.status === 'delivered');
    await new Promise((r) => setTimeout(r, 200)); // nothing more arrives
    expect(rcv.received).toHaveLength(4);
    expect(store.attemptsOf(id).map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 503, 'retry'],
      [2, 503, 'retry'],
      [3, 503, 'retry'],
      [4, 200, 'delivered'],
    ]);
    for (const a of store.attemptsOf(id)) expect(a.durationMs).toBeGreaterThanOrEqual(0);

    const last = rcv.received[3]!;
    expect(WebhookEvent.parse(JSON.parse(last.body))).toEqual(event);
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers['wa-dispatch-event']).toBe('message.status');
    expect(last.headers['wa-dispatch-delivery']).toBe(id);
    const header = last.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()];
    expect(verifyWebhook({ secret: 'secret-1', header, rawBody: last.body })).toMatchObject({ ok: true });
    expect(verifyWebhook({ secret: 'secret-1', header, rawBody: last.body.replace('delivered', 'read') })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhook({ secret: 'secret-2', header, rawBody: last.body })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('does not retry a 400; replay starts a fresh series (own tenant only)', async () => {
    let status = 400;
    const rcv = await receiver(() => status);
    const { store, producer } = setup();
    store.addWebhook({ webhookId: 'w1', chatId: 2002n, url: rcv.url, secret: 's', active: true });
    const id = randomUUID();
    store.addDelivery(id, 'w1', statusEvent(2002n));
    await producer.enqueue(id);

    await until(() => store.deliveries.get(id)?.status === 'failed');
    await new Promise((r) => setTimeout(r, 200));
    expect(rcv.received).toHaveLength(1);
    expect(store.attemptsOf(id).map((a) => [a.statusCode, a.outcome, a.error])).toEqual([[400, 'failed', 'HTTP 400']]);
    expect(await (await producer.queue.getJob(id))?.getState()).toBe('failed');

    await expect(producer.replay(id, 9999n)).rejects.toMatchObject({ code: 'WEBHOOK.NOT_FOUND' });
    expect(store.deliveries.get(id)?.status).toBe('failed');

    status = 200;
    await producer.replay(id, 2002n);
    await until(() => store.deliveries.get(id)?.status === 'delivered');
    expect(rcv.received).toHaveLength(2);
    expect(rcv.received[1]!.body).toBe(rcv.received[0]!.body);
    expect(store.attemptsOf(id).map((a) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 400, 'failed'],
      [1, 200, 'delivered'],
    ]);
  });

  it('retries 408, 429 and connection errors; gives up after the last attempt', async () => {
    const rcv = await receiver((n) => [408, 429, 200][n] ?? 200);
    const { store, producer } = setup({ attempts: 3 });
    store.addWebhook({ webhookId: 'ok', chatId: 3003n, url: rcv.url, secret: 's', active: true });
    // a port nobody listens on
    const closed = await startReceiver();
    await closed.close();
    store.addWebhook({ webhookId: 'down', chatId: 3004n, url: closed.url, secret: 's', active: true });
    const a = randomUUID();
    const b = randomUUID();
    store.addDelivery(a, 'ok', statusEvent(3003n));
    store.addDelivery(b, 'down', statusEvent(3004n));
    await producer.enqueueMany([a, b]);

    await until(() => store.deliveries.get(a)?.status === 'delivered' && store.deliveries.get(b)?.status === 'failed');
    expect(store.attemptsOf(a).map((x) => x.statusCode)).toEqual([408, 429, 200]);
    const down = store.attemptsOf(b);
    expect(down.map((x) => x.outcome)).toEqual(['retry', 'retry', 'failed']);
    expect(down[0]!.statusCode).toBeNull();
    expect(down[0]!.error).toMatch(/ECONNREFUSED/);
  });

  it('two tenants: each tenant\'s events reach only its own receiver, signed with its own secret', async () => {
    const rcvA = await receiver();
    const rcvB = await receiver();
    const { store, producer } = setup();
    const A = 11n;
    const B = 22n;
    store.addWebhook({ webhookId: 'wa', chatId: A, url: rcvA.url, secret: 'secret-A', active: true });
    store.addWebhook({ webhookId: 'wb', chatId: B, url: rcvB.url, secret: 'secret-B', active: true });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      for (const [chatId, hook] of [[A, 'wa'], [B, 'wb']] as const) {
        const id = randomUUID();
        ids.push(id);
        store.addDelivery(id, hook, i % 2 === 0 ? inboundEvent(chatId, `reply ${i} for ${chatId}`) : statusEvent(chatId));
      }
    }
    // forged: B's event stored against A's webhook row, and a delivery claiming A's hook for B
    const forgedPayload = randomUUID();
    store.addDelivery(forgedPayload, 'wa', inboundEvent(B, 'B secret reply'));
    const forgedOwner = randomUUID();
    store.addDelivery(forgedOwner, 'wa', inboundEvent(B, 'B other reply'), B);
    await producer.enqueueMany([...ids, forgedPayload, forgedOwner]);

    await until(() => ids.every((id) => store.deliveries.get(id)?.status === 'delivered'));
    await until(() => store.attempts.some((a) => a.deliveryId === forgedPayload));
    await new Promise((r) => setTimeout(r, 100));

    expect(rcvA.received).toHaveLength(10);
    expect(rcvB.received).toHaveLength(10);
    for (const [rcv, chatId, own, other] of [
      [rcvA, A, 'secret-A', 'secret-B'],
      [rcvB, B, 'secret-B', 'secret-A'],
    ] as const) {
      for (const r of rcv.received) {
        const ev = WebhookEvent.parse(JSON.parse(r.body));
        expect(ev.chatId).toBe(String(chatId));
        if (ev.type === 'message.inbound') {
          expect(ev.data.text).toContain(`for ${chatId}`);
          expect(ev.data.sessionId).toBe(`user_${chatId}`);
        }
        const header = r.headers['wa-dispatch-signature'];
        expect(verifyWebhook({ secret: own, header, rawBody: r.body }).ok).toBe(true);
        expect(verifyWebhook({ secret: other, header, rawBody: r.body }).ok).toBe(false);
      }
    }
    expect(store.deliveries.get(forgedPayload)?.status).toBe('failed');
    expect(store.attemptsOf(forgedPayload)[0]?.error).toBe('WEBHOOK.OWNER_MISMATCH');
    // the store finds no webhook of B behind that row: nothing loaded, nothing sent
    expect(store.deliveries.get(forgedOwner)?.status).toBe('pending');
    expect(store.attemptsOf(forgedOwner)).toEqual([]);
    expect(await (await producer.queue.getJob(forgedOwner))?.getState()).toBe('failed');
  });
});

describe('WebhookDeliveryProcessor (no queue)', () => {
  const job = (deliveryId: unknown, attemptsMade = 0, attempts = 5) => ({
    id: 'j',
    data: { deliveryId },
    attemptsMade,
    opts: { attempts },
  });

  it('skips a job of an older attempt series (a replay superseded it)', async () => {
    const rcv = await receiver();
    const store = new InMemoryDeliveryStore();
    store.addWebhook({ webhookId: 'w', chatId: 6n, url: rcv.url, secret: 's', active: true });
    const id = randomUUID();
    store.addDelivery(id, 'w', statusEvent(6n));
    expect(await store.reopen(id, 6n)).toBe(2);
    const processor = new WebhookDeliveryProcessor({ store, allowPrivate: true });
    await expect(processor.process({ ...job(id), id: webhookJobId(id, 1) })).resolves.toEqual({ outcome: 'skipped', reason: 'stale_series' });
    expect(rcv.received).toHaveLength(0);
    await expect(processor.process({ ...job(id), id: webhookJobId(id, 2) })).resolves.toMatchObject({ outcome: 'delivered' });
    expect(webhookJobId(id, 2)).toBe(`${id}-s2`);
    expect([seriesOfJobId(id), seriesOfJobId(`${id}-s7`), seriesOfJobId('j')]).toEqual([1, 7, null]);
  });

  it('re-checks the URL guard at send time: a private target is refused without a request', async () => {
    const rcv = await receiver();
    const store = new InMemoryDeliveryStore();
    store.addWebhook({ webhookId: 'w', chatId: 5n, url: rcv.url, secret: 's', active: true });
    const id = randomUUID();
    store.addDelivery(id, 'w', statusEvent(5n));
    const processor = new WebhookDeliveryProcessor({ store, allowPrivate: false });
    await expect(processor.process(job(id))).rejects.toMatchObject({ name: 'UnrecoverableError' });
    expect(rcv.received).toHaveLength(0);
    expect(store.deliveries.get(id)?.status).toBe('failed');
    expect(store.attemptsOf(id)[0]?.error).toBe('WEBHOOK.URL_REFUSED: private');

    // a host that now resolves to loopback (rebinding) is refused too
    const rebinding = new WebhookDeliveryProcessor({
      store,
      allowPrivate: false,
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    store.hooks.get('w')!.url = 'http://hooks.tenant.example/x';
    const id2 = randomUUID();
    store.addDelivery(id2, 'w', statusEvent(5n));
    await expect(rebinding.process(job(id2))).rejects.toMatchObject({ name: 'UnrecoverableError' });
    expect(rcv.received).toHaveLength(0);
  });

  it('refuses bad job data, unknown deliveries and inactive hooks; skips non-pending ones; does not follow redirects', async () => {
    const rcv = await receiver(() => 302);
    const store = new InMemoryDeliveryStore();
    store.addWebhook({ webhookId: 'w', chatId: 6n, url: rcv.url, secret: 's', active: true });
    const processor = new WebhookDeliveryProcessor({ store, allowPrivate: true });
    await expect(processor.process({ ...job('x'), data: { deliveryId: randomUUID(), url: 'http://evil' } })).rejects.toThrow('JOB.INVALID');
    await expect(processor.process(job(randomUUID()))).rejects.toThrow('WEBHOOK.NOT_FOUND');

    const id = randomUUID();
    store.addDelivery(id, 'w', statusEvent(6n));
    await expect(processor.process(job(id))).rejects.toThrow('HTTP 302');
    expect(store.deliveries.get(id)?.status).toBe('failed');
    expect(await processor.process(job(id))).toEqual({ outcome: 'skipped', reason: 'not_pending' });
    expect(rcv.received).toHaveLength(1);

    store.hooks.get('w')!.active = false;
    const id2 = randomUUID();
    store.addDelivery(id2, 'w', statusEvent(6n));
    await expect(processor.process(job(id2))).rejects.toThrow('WEBHOOK.INACTIVE');
    expect(rcv.received).toHaveLength(1);
  });

  it('times out slow receivers (retryable)', async () => {
    const store = new InMemoryDeliveryStore();
    store.addWebhook({ webhookId: 'w', chatId: 7n, url: 'http://127.0.0.1:9/x', secret: 's', active: true });
    const id = randomUUID();
    store.addDelivery(id, 'w', statusEvent(7n));
    const slowFetch: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const processor = new WebhookDeliveryProcessor({ store, allowPrivate: true, fetch: slowFetch, timeoutMs: 50 });
    await expect(processor.process(job(id))).rejects.toMatchObject({ name: 'WebhookRetryableError', message: 'timeout' });
    expect(store.deliveries.get(id)?.status).toBe('pending');
  });

  it('backoff grows exponentially with jitter, capped, honouring Retry-After', () => {
    const lo = () => 0;
    const hi = () => 1;
    expect([1, 2, 3, 4].map((n) => webhookBackoffDelay(n, { baseMs: 1000, maxMs: 60_000, random: hi }))).toEqual([1000, 2000, 4000, 8000]);
    expect(webhookBackoffDelay(3, { baseMs: 1000, maxMs: 60_000, random: lo })).toBe(2000);
    expect(webhookBackoffDelay(30, { baseMs: 1000, maxMs: 60_000, random: hi })).toBe(60_000);
    expect(webhookBackoffDelay(1, { baseMs: 1000, maxMs: 60_000, random: hi }, 30_000)).toBe(30_000);
    expect(webhookBackoffDelay(1, { baseMs: 1000, maxMs: 60_000, random: hi }, 10_000_000)).toBe(60_000);
  });
});
