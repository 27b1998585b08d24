import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFor, WebhookEvent } from '@wa-dispatch/core';
import { verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from '@wa-dispatch/webhooks';
import type { SimulatorControl } from '@wa-dispatch/whatsapp';
import { startReceiver, type Receiver } from '../packages/webhooks/src/test-support/receiver.js';
import { ROOMY_LIMITS, startStack, type E2eStack } from './support/e2e-stack.js';
import { waitUntil } from './support/wait-until.js';
import type { WorkerProcess } from './support/worker-process.js';

// Issue 6, "Webhooks", end to end with real processes: the API registers each
// tenant's own endpoint, a worker process records events as its tenants'
// messages move and customers reply (simulator), and delivers them signed,
// with retries, to local HTTP receivers. Tenant isolation is the point: an
// event reaches only its own tenant's endpoint.
const SHARDS = 4;
const ADMIN = 'webhooks-e2e-admin-key-0123456789abcdefghijklmnop';
const A = { chatId: 620_000_001n, phone: '5511987660001', customer: '5521970006001' };
const B = { chatId: -1_000_620_000_002n, phone: '5511987660002', customer: '5521970006002' };
const C = { chatId: 620_000_003n, phone: '5511987660003', customer: '5521970006003' }; // receiver fails 3 times
const D = { chatId: 620_000_004n, phone: '5511987660004', customer: '5521970006004' }; // receiver answers 400
const ALL = [A, B, C, D];

let stack: E2eStack;
let worker: WorkerProcess;
let control: SimulatorControl;
const keys = new Map<bigint, string>();
const secrets = new Map<bigint, string>();
const receivers = new Map<bigint, Receiver>();
let dStatus = 400;
const call: E2eStack['call'] = (...args) => stack.call(...args);

const eventsAt = (chatId: bigint): WebhookEvent[] => receivers.get(chatId)!.received.map((r) => WebhookEvent.parse(JSON.parse(r.body)));

async function startReceivers(): Promise<void> {
  for (const t of ALL) {
    const respond = t === C ? (n: number) => (n < 3 ? 500 : 200) : t === D ? () => dStatus : () => 204;
    receivers.set(t.chatId, await startReceiver(respond));
  }
}

beforeAll(async () => {
  // local HTTP servers, started first so the afterAll below closes them whatever fails next
  await startReceivers();
  stack = await startStack({
    name: 'webhooks-e2e',
    shards: SHARDS,
    adminKey: ADMIN,
    apiEnv: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_ATTEMPTS: '6' },
    workerEnv: {
      WEBHOOK_ALLOW_PRIVATE: 'true',
      // retries in tens of milliseconds, so "fails 3 times then succeeds" fits the test's budget
      WEBHOOK_ATTEMPTS: '6',
      WEBHOOK_BACKOFF_BASE_MS: '50',
      WEBHOOK_BACKOFF_MAX_MS: '200',
      WEBHOOK_SUBSCRIPTION_CACHE_MS: '200',
    },
    workers: ['hooks-w'],
  });
  [worker] = stack.workers as [WorkerProcess];
  control = stack.control;
  for (const t of ALL) {
    const key = await stack.createTenant(t.chatId, { limits: ROOMY_LIMITS });
    keys.set(t.chatId, key);
    const events = t === A || t === B ? ['message.status', 'message.inbound', 'session.status'] : ['message.inbound'];
    const put = await call('PUT', `/v1/tenants/${t.chatId}/webhook`, key, { url: receivers.get(t.chatId)!.url, events });
    expect(put.status).toBe(201);
    secrets.set(t.chatId, put.body.secret);
  }
  await stack.waitForEveryShard();
  await stack.linkAll(ALL, 15_000, 100);
}, 60_000);

afterAll(async () => {
  try {
    await stack?.stop();
  } finally {
    for (const r of receivers.values()) await r.close();
  }
});

describe('tenant webhooks (API + worker process + simulator + local receivers)', () => {
  it('each tenant’s status events and inbound replies reach only its own endpoint, signed with its own secret', async () => {
    const sent = new Map<bigint, string>();
    for (const t of [A, B]) {
      const res = await call('POST', `/v1/tenants/${t.chatId}/messages`, keys.get(t.chatId)!, { to: t.customer, text: `invoice for ${t.chatId}` });
      expect(res.status).toBe(202);
      sent.set(t.chatId, res.body.id);
    }
    // the simulator acknowledges delivery by itself; the customer then replies quoting the message
    for (const t of [A, B]) {
      const [out] = (await waitUntil(async () => {
        const s = await control.sent({ to: t.customer });
        return s.length > 0 ? s : undefined;
      }, `the message of ${t.chatId} to leave`, 10_000, 50))!;
      await control.injectInbound(sessionIdFor(t.chatId), { fromPhone: t.customer, text: `ok ${t.chatId}`, quotedWaMessageId: out!.waMessageId });
    }
    // every event is its own delivery job, run concurrently: they may arrive in any order
    for (const t of [A, B]) {
      await waitUntil(() => {
        const ev = eventsAt(t.chatId);
        const status = (s: string) => ev.some((e) => e.type === 'message.status' && e.data.status === s);
        const linked = ev.some((e) => e.type === 'session.status' && e.data.status === 'connected');
        return linked && ev.some((e) => e.type === 'message.inbound') && status('sent') && status('delivered');
      }, `${t.chatId}'s session, inbound, sent and delivered events`, 10_000, 50);
    }

    for (const t of [A, B]) {
      const received = receivers.get(t.chatId)!.received;
      const events = eventsAt(t.chatId);
      // only its own tenant, ever
      expect(new Set(events.map((e) => e.chatId))).toEqual(new Set([t.chatId.toString()]));
      const statuses = events.filter((e) => e.type === 'message.status').map((e) => e.type === 'message.status' && e.data);
      expect(statuses).toEqual(expect.arrayContaining([
        expect.objectContaining({ messageId: sent.get(t.chatId), status: 'sent', error: null }),
        expect.objectContaining({ messageId: sent.get(t.chatId), status: 'delivered' }),
      ]));
      const inbound = events.find((e) => e.type === 'message.inbound');
      expect(inbound?.type === 'message.inbound' && inbound.data).toMatchObject({
        sessionId: sessionIdFor(t.chatId),
        from: `+${t.customer}`,
        text: `ok ${t.chatId}`,
        inReplyToMessageId: sent.get(t.chatId),
      });
      const linked = events.find((e) => e.type === 'session.status' && e.data.status === 'connected');
      expect(linked?.type === 'session.status' && linked.data).toMatchObject({ sessionId: sessionIdFor(t.chatId), phone: t.phone });
      // no other tenant's text, number or id in any body
      const other = t === A ? B : A;
      for (const r of received) {
        expect(r.body).not.toContain(other.customer);
        expect(r.body).not.toContain(`ok ${other.chatId}`);
        expect(r.body).not.toContain(sent.get(other.chatId)!);
      }

      // every body verifies with its own tenant's secret and the shipped helper; a tampered one does not
      for (const r of received) {
        const header = r.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()];
        expect(verifyWebhook({ secret: secrets.get(t.chatId)!, header, rawBody: r.body })).toMatchObject({ ok: true });
        expect(verifyWebhook({ secret: secrets.get(other.chatId)!, header, rawBody: r.body })).toEqual({ ok: false, reason: 'mismatch' });
        expect(verifyWebhook({ secret: secrets.get(t.chatId)!, header, rawBody: r.body.replace(t.chatId.toString(), other.chatId.toString()) })).toEqual({
          ok: false,
          reason: 'mismatch',
        });
        expect(r.headers['wa-dispatch-event']).toBe(JSON.parse(r.body).type);
      }
    }
    // C and D subscribe to message.inbound only: nothing for their sessions' status
    expect(eventsAt(C.chatId)).toEqual([]);
    expect(eventsAt(D.chatId)).toEqual([]);
  }, 25_000);

  it('a receiver that fails 3 times (HTTP 500) gets the event exactly once after retries; the attempt log shows it', async () => {
    await control.injectInbound(sessionIdFor(C.chatId), { fromPhone: C.customer, text: 'retry me' });
    const rc = receivers.get(C.chatId)!;
    await waitUntil(() => rc.received.length >= 4, 'four requests to C', 10_000, 20);
    const key = keys.get(C.chatId)!;
    const list = await waitUntil(async () => {
      const r = await call('GET', `/v1/tenants/${C.chatId}/webhook/deliveries`, key);
      return r.body.items[0]?.status === 'delivered' ? r.body : undefined;
    }, 'the delivery to be marked delivered', 5_000, 50);
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    expect(rc.received).toHaveLength(4);
    const ids = new Set(rc.received.map((r) => JSON.parse(r.body).id));
    expect(ids.size).toBe(1); // one event, retried; acknowledged once (the 4th request)
    expect(new Set(rc.received.map((r) => r.headers['wa-dispatch-delivery']))).toEqual(new Set([list.items[0].id]));
    const detail = await call('GET', `/v1/tenants/${C.chatId}/webhook/deliveries/${list.items[0].id}`, key);
    expect(detail.body).toMatchObject({ status: 'delivered', attempts: 4, series: 1, lastStatusCode: 200 });
    expect(detail.body.payload.data.text).toBe('retry me');
    expect(detail.body.attemptLog.map((a: { attempt: number; statusCode: number; outcome: string }) => [a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 500, 'retry'],
      [2, 500, 'retry'],
      [3, 500, 'retry'],
      [4, 200, 'delivered'],
    ]);
  }, 15_000);

  it('a 400 is not retried; replay re-delivers the same event in a new series; another tenant cannot replay it', async () => {
    await control.injectInbound(sessionIdFor(D.chatId), { fromPhone: D.customer, text: 'bad request' });
    const rd = receivers.get(D.chatId)!;
    const key = keys.get(D.chatId)!;
    const failed = await waitUntil(async () => {
      const r = await call('GET', `/v1/tenants/${D.chatId}/webhook/deliveries`, key);
      return r.body.items[0]?.status === 'failed' ? r.body.items[0] : undefined;
    }, 'the delivery to fail', 10_000, 50);
    await new Promise((r) => setTimeout(r, 300));
    expect(rd.received).toHaveLength(1);
    expect(failed).toMatchObject({ attempts: 1, lastStatusCode: 400, lastError: 'HTTP 400' });

    const foreign = await call('POST', `/v1/tenants/${A.chatId}/webhook/deliveries/${failed.id}/replay`, keys.get(A.chatId)!);
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'WEBHOOK.NOT_FOUND']);
    const crossKey = await call('POST', `/v1/tenants/${D.chatId}/webhook/deliveries/${failed.id}/replay`, keys.get(A.chatId)!);
    expect([crossKey.status, crossKey.body.error.code]).toEqual([403, 'AUTH.FORBIDDEN_TENANT']);
    await new Promise((r) => setTimeout(r, 200));
    expect(rd.received).toHaveLength(1);

    dStatus = 200;
    const replay = await call('POST', `/v1/tenants/${D.chatId}/webhook/deliveries/${failed.id}/replay`, key);
    expect([replay.status, replay.body]).toEqual([202, { deliveryId: failed.id, series: 2, status: 'pending' }]);
    await waitUntil(() => rd.received.length === 2, 'the replayed request', 10_000, 20);
    expect(rd.received[1]!.body).toBe(rd.received[0]!.body);
    expect(verifyWebhook({ secret: secrets.get(D.chatId)!, header: rd.received[1]!.headers['wa-dispatch-signature'], rawBody: rd.received[1]!.body }).ok).toBe(true);
    const detail = await waitUntil(async () => {
      const r = await call('GET', `/v1/tenants/${D.chatId}/webhook/deliveries/${failed.id}`, key);
      return r.body.status === 'delivered' ? r.body : undefined;
    }, 'the replay to be delivered', 5_000, 50);
    expect(detail.attemptLog.map((a: { series: number; attempt: number; statusCode: number; outcome: string }) => [a.series, a.attempt, a.statusCode, a.outcome])).toEqual([
      [1, 1, 400, 'failed'],
      [2, 1, 200, 'delivered'],
    ]);
  }, 20_000);

  it('worker logs carry no secrets, message text or full numbers', () => {
    const dump = JSON.stringify(worker.logs);
    for (const secret of secrets.values()) expect(dump).not.toContain(secret);
    for (const t of ALL) expect(dump).not.toContain(t.customer);
    expect(dump).not.toContain('retry me');
  });
});
