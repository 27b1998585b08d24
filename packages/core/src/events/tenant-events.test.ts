import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WEBHOOK_EVENT_TYPES, WebhookEvent, buildWebhookEvent, wantsEvent } from './tenant-events.js';

describe('webhook events', () => {
  it('builds a valid message.inbound for its tenant', () => {
    const messageId = randomUUID();
    const ev = buildWebhookEvent('message.inbound', 123n, {
      inboundId: 'in-1',
      sessionId: 'user_123',
      from: '+5511999998888',
      text: 'paid, thanks',
      waMessageId: 'WA1',
      inReplyToMessageId: messageId,
      receivedAt: new Date().toISOString(),
    });
    expect(ev.chatId).toBe('123');
    expect(ev.type).toBe('message.inbound');
    expect(ev.data.inReplyToMessageId).toBe(messageId);
    expect(WebhookEvent.parse(JSON.parse(JSON.stringify(ev)))).toEqual(ev);
  });

  it('checks data against the type', () => {
    const base = { id: randomUUID(), createdAt: new Date().toISOString(), chatId: '-100123' };
    const status = { messageId: randomUUID(), status: 'delivered', waMessageId: 'X', error: null };
    expect(WebhookEvent.safeParse({ ...base, type: 'message.status', data: status }).success).toBe(true);
    expect(WebhookEvent.safeParse({ ...base, type: 'session.status', data: status }).success).toBe(false);
    expect(WebhookEvent.safeParse({ ...base, type: 'message.status', data: { ...status, status: 'bogus' } }).success).toBe(false);
    expect(WebhookEvent.safeParse({ ...base, type: 'message.status', data: status, extra: 1 }).success).toBe(false);
    expect(WebhookEvent.safeParse({ ...base, type: 'nope', data: {} }).success).toBe(false);
    expect(WebhookEvent.safeParse({ ...base, chatId: '12a', type: 'message.status', data: status }).success).toBe(false);
  });

  it('covers every event type', () => {
    const now = new Date().toISOString();
    const samples = {
      'message.status': { messageId: randomUUID(), status: 'failed', waMessageId: null, error: { code: 'TRANSPORT.SEND_FAILED', message: 'x' } },
      'message.inbound': { inboundId: 'i', sessionId: 'user_1', from: '+5511999998888', text: 'hi', waMessageId: 'w', inReplyToMessageId: null, receivedAt: now },
      'session.qr': { sessionId: 'user_1', qr: '2@abc', expiresAt: now },
      'session.status': { sessionId: 'user_1', status: 'connected', phone: '5511999998888', reason: null },
      'tenant.restricted': { kind: 'rate_limited', code: 'TRANSPORT.RATE_LIMITED', until: now },
      'schedule.skipped': { scheduleId: 's1', fireTime: now, reason: 'TENANT.PAUSED' },
    } as const;
    for (const type of WEBHOOK_EVENT_TYPES) {
      expect(() => buildWebhookEvent(type, '1', samples[type] as never)).not.toThrow();
    }
    expect(wantsEvent(['message.status'], 'message.status')).toBe(true);
    expect(wantsEvent(['message.status'], 'message.inbound')).toBe(false);
  });
});
