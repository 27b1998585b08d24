import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookEvent, WebhookEventLog } from '@wa-dispatch/core';
import { WebhookEventRecorder } from './webhook-event-recorder.js';

/** Subscriptions per tenant; recordEvent mimics the SQL (own webhook, subscribed type). */
function fakeLog(subs: Map<bigint, string[]>) {
  const recorded: { chatId: bigint; event: WebhookEvent; id: string }[] = [];
  let lookups = 0;
  const log: WebhookEventLog = {
    async recordEvent(chatId, event) {
      const events = subs.get(chatId);
      if (!events?.includes(event.type) || event.chatId !== String(chatId)) return null;
      const id = randomUUID();
      recorded.push({ chatId, event, id });
      return id;
    },
    async subscribedEvents(chatId) {
      lookups++;
      return subs.get(chatId) ?? null;
    },
  };
  return { log, recorded, lookups: () => lookups };
}

const status = { messageId: randomUUID(), status: 'sent' as const, waMessageId: 'WAD1', error: null };

describe('WebhookEventRecorder', () => {
  it('records then enqueues, only for the tenant’s own subscribed types', async () => {
    const subs = new Map([[1n, ['message.status']], [2n, ['message.inbound']]]);
    const { log, recorded } = fakeLog(subs);
    const enqueued: string[] = [];
    const rec = new WebhookEventRecorder({ log, producer: { enqueue: async (id) => void enqueued.push(id) } });
    await rec.emit('message.status', 1n, status);
    await rec.emit('message.status', 2n, status);
    await rec.emit('message.status', 3n, status);
    expect(recorded.map((r) => [r.chatId, r.event.chatId, r.event.type])).toEqual([[1n, '1', 'message.status']]);
    expect(enqueued).toEqual([recorded[0]!.id]);
  });

  it('a failed enqueue is logged with ids only and does not reject (the sweep re-enqueues)', async () => {
    const { log, recorded } = fakeLog(new Map([[1n, ['message.status']]]));
    const warnings: Record<string, unknown>[] = [];
    const rec = new WebhookEventRecorder({
      log,
      producer: { enqueue: async () => Promise.reject(new Error('redis down')) },
      logger: { info() {}, error() {}, warn: (o) => void warnings.push(o) },
    });
    await expect(rec.emit('message.status', 1n, status)).resolves.toBeUndefined();
    expect(recorded).toHaveLength(1);
    expect(warnings).toEqual([expect.objectContaining({ deliveryId: recorded[0]!.id, chatId: '1', event: 'message.status' })]);
  });

  it('rejects invalid event data and failed recording (callers log them)', async () => {
    const { log } = fakeLog(new Map([[1n, ['message.status']]]));
    const rec = new WebhookEventRecorder({ log, producer: { enqueue: async () => undefined } });
    await expect(rec.emit('message.status', 1n, { ...status, messageId: 'nope' })).rejects.toThrow();
    const failing = new WebhookEventRecorder({
      log: { ...log, recordEvent: () => Promise.reject(new Error('db down')) },
      producer: { enqueue: async () => undefined },
    });
    await expect(failing.emit('message.status', 1n, status)).rejects.toThrow('db down');
  });

  it('caches subscriptions per tenant for subscriptionCacheMs; a new subscription applies after it', async () => {
    const subs = new Map<bigint, string[]>();
    const { log, recorded, lookups } = fakeLog(subs);
    let now = 1_000;
    const rec = new WebhookEventRecorder({ log, producer: { enqueue: async () => undefined }, subscriptionCacheMs: 1_000, now: () => now });
    await Promise.all([rec.emit('message.status', 1n, status), rec.emit('message.status', 1n, status)]);
    expect(lookups()).toBe(1); // concurrent emits share one lookup
    subs.set(1n, ['message.status']); // PUT …/webhook
    now += 999;
    await rec.emit('message.status', 1n, status);
    expect(recorded).toHaveLength(0); // still within the staleness bound
    now += 1;
    await rec.emit('message.status', 1n, status);
    expect(recorded).toHaveLength(1);
    expect(lookups()).toBe(2);
  });
});
