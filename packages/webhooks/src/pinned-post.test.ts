import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWebhookEvent } from '@wa-dispatch/core';
import { pinnedPost } from './pinned-post.js';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor.js';
import { InMemoryDeliveryStore } from './test-support/in-memory-delivery-store.js';
import { startReceiver, type Receiver } from './test-support/receiver.js';

const receivers: Receiver[] = [];
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

describe('pinnedPost', () => {
  it('connects to the approved address, keeping the URL’s host for the request', async () => {
    const rcv = await startReceiver(() => 202);
    receivers.push(rcv);
    const port = new URL(rcv.url).port;
    // a name no resolver knows: only the pinned address can make this work
    const url = new URL(`http://hooks.tenant.invalid:${port}/hook?t=1`);
    const res = await pinnedPost({ url, address: '127.0.0.1', headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 2_000 });
    expect(res).toEqual({ status: 202, retryAfter: null });
    expect(rcv.received).toHaveLength(1);
    expect(rcv.received[0]).toMatchObject({ body: '{"a":1}', headers: { host: `hooks.tenant.invalid:${port}`, 'content-length': '7' } });
  });

  it('times out a receiver that never answers, and reports Retry-After', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/slow') return; // never answers
      res.setHeader('retry-after', '7');
      res.statusCode = 429;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      await expect(
        pinnedPost({ url: new URL(`http://127.0.0.1:${port}/slow`), address: '127.0.0.1', headers: {}, body: '', timeoutMs: 100 }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(await pinnedPost({ url: new URL(`http://127.0.0.1:${port}/busy`), address: '127.0.0.1', headers: {}, body: '', timeoutMs: 2_000 })).toEqual({
        status: 429,
        retryAfter: '7',
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('WebhookDeliveryProcessor with the pinned POST', () => {
  it('sends to the address the guard checked, not to a second DNS answer', async () => {
    const rcv = await startReceiver();
    receivers.push(rcv);
    const port = new URL(rcv.url).port;
    const store = new InMemoryDeliveryStore();
    store.addWebhook({ webhookId: 'w', chatId: 9n, url: `http://hooks.tenant.invalid:${port}/hook`, secret: 's', active: true });
    const id = randomUUID();
    store.addDelivery(id, 'w', buildWebhookEvent('message.status', 9n, { messageId: randomUUID(), status: 'sent', waMessageId: 'WAD1', error: null }));
    let lookups = 0;
    const processor = new WebhookDeliveryProcessor({
      store,
      allowPrivate: true, // a private deployment; the point here is which address is used
      lookup: async () => {
        lookups++;
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    await expect(processor.process({ id, data: { deliveryId: id }, attemptsMade: 0, opts: { attempts: 3 } })).resolves.toMatchObject({
      outcome: 'delivered',
    });
    expect(lookups).toBe(1); // the only resolution is the guard's
    expect(rcv.received).toHaveLength(1);
  });
});
