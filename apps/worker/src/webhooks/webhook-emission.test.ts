import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { SessionRecord, TenantEventSink } from '@wa-dispatch/core';
import { WebhookEmission } from './webhook-emission.js';

function recordingSink() {
  const emitted: { type: string; chatId: bigint; data: unknown }[] = [];
  const sink: TenantEventSink = { emit: async (type, chatId, data) => void emitted.push({ type, chatId, data }) };
  return { sink, emitted };
}

const flush = () => new Promise((r) => setImmediate(r));
const logger = pino({ level: 'silent' });
const session = { sessionId: 'user_-42', chatIdUsuario: -42n, shard: 1, status: 'pending_qr' } as unknown as SessionRecord;

describe('WebhookEmission', () => {
  it('message.status: only adds the job of the delivery the transition recorded, under the row’s own chat id', async () => {
    const { sink, emitted } = recordingSink();
    const enqueued: [string, bigint][] = [];
    const e = new WebhookEmission({ sink, logger, enqueue: async (id, chatId) => void enqueued.push([id, chatId]) });
    const messageId = randomUUID();
    const change = { messageId, chatId: 7n, status: 'sent' as const, waMessageId: 'WAD1', errorCode: null, errorMessage: null };
    e.onMessageTransition({ ...change, webhookDeliveryId: null }); // no webhook subscribed: nothing to add
    e.onMessageTransition({ ...change, webhookDeliveryId: 'd-1' });
    e.onMessageTransition({ ...change, status: 'delivered', webhookDeliveryId: 'd-2' });
    await flush();
    expect(enqueued).toEqual([['d-1', 7n], ['d-2', 7n]]);
    expect(emitted).toEqual([]); // the row is already in Postgres: no second INSERT through the sink
  });

  it('session events use the session row’s owner; the base sink still runs', async () => {
    const { sink, emitted } = recordingSink();
    const base: string[] = [];
    const enqueued: [string, bigint][] = [];
    const events = new WebhookEmission({ sink, logger, enqueue: async (id, chatId) => void enqueued.push([id, chatId]) }).sessionEvents({
      onQr: async () => void base.push('qr'),
      onSessionState: () => void base.push('state'),
    });
    const expiresAt = new Date('2026-12-03T21:00:20Z');
    await events.onQr!(-42n, 'QR-VALUE', expiresAt, session);
    events.onSessionState!(session, 'connected', { number: '5511987650001' });
    events.onSessionState!(session, 'logged_out', { code: 'SESSION.NUMBER_TAKEN' });
    // replies: their deliveries were stored with them (InboundRepository); only the job is added
    events.onInbound!(-42n, 'in-1', null, { sessionId: 'user_-42', waMessageId: 'W1', fromJid: '5521970001111@s.whatsapp.net', text: 'oi' }, 'd-in-1');
    events.onInbound!(-42n, 'in-2', null, { sessionId: 'user_-42', waMessageId: 'W2', fromJid: 'abc@lid' }, null); // no event stored
    await flush();
    expect(base).toEqual(['qr', 'state', 'state']);
    expect(enqueued).toEqual([['d-in-1', -42n]]);
    expect(emitted).toEqual([
      { type: 'session.qr', chatId: -42n, data: { sessionId: 'user_-42', qr: 'QR-VALUE', expiresAt: expiresAt.toISOString() } },
      { type: 'session.status', chatId: -42n, data: { sessionId: 'user_-42', status: 'connected', phone: '5511987650001', reason: null } },
      { type: 'session.status', chatId: -42n, data: { sessionId: 'user_-42', status: 'logged_out', phone: null, reason: 'SESSION.NUMBER_TAKEN' } },
    ]);
  });

  it('never throws into the caller; drops fired events past maxInFlight, never a recorded message.status', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const sink: TenantEventSink = {
      emit: async () => {
        calls++;
        await gate;
        throw new Error('db down');
      },
    };
    let enqueues = 0;
    const e = new WebhookEmission({
      sink,
      logger,
      maxInFlight: 2,
      enqueue: async () => {
        enqueues++;
        throw new Error('redis down');
      },
    });
    const events = e.sessionEvents({});
    expect(() => {
      for (let i = 0; i < 5; i++) events.onSessionState!(session, 'connected', {});
    }).not.toThrow();
    expect(calls).toBe(2);
    const change = { messageId: randomUUID(), chatId: 1n, status: 'sent' as const, waMessageId: null, errorCode: null, errorMessage: null, webhookDeliveryId: 'd-1' };
    expect(() => {
      for (let i = 0; i < 5; i++) e.onMessageTransition(change);
    }).not.toThrow();
    expect(enqueues).toBe(5);
    release();
    await flush();
    await flush();
    events.onSessionState!(session, 'connected', {});
    expect(calls).toBe(3);
  });
});
