import type { InboundMessage } from '@wa-dispatch/core';

/** What the simulated WhatsApp side publishes on a session's channel. */
export type SimEvent =
  | { type: 'linked'; number: string }
  | { type: 'logged_out' }
  | { type: 'banned' }
  | { type: 'disconnected' }
  | { type: 'claimed'; socket: string }
  | { type: 'inbound' }
  | { type: 'receipt'; waMessageId: string; status: 'delivered' | 'read' };

/** undefined for anything malformed: a bad publish must not reach a session. */
export function parseEvent(raw: string): SimEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  switch (e.type) {
    case 'linked':
      return typeof e.number === 'string' ? { type: 'linked', number: e.number } : undefined;
    case 'claimed':
      return typeof e.socket === 'string' ? { type: 'claimed', socket: e.socket } : undefined;
    case 'receipt':
      return typeof e.waMessageId === 'string' && (e.status === 'delivered' || e.status === 'read')
        ? { type: 'receipt', waMessageId: e.waMessageId, status: e.status }
        : undefined;
    case 'logged_out':
    case 'banned':
    case 'disconnected':
    case 'inbound':
      return { type: e.type };
    default:
      return undefined;
  }
}

/** An inbox entry as pushed by `SimulatorControl`; undefined when malformed. */
export function parseInbound(raw: string): InboundMessage | undefined {
  try {
    const m = JSON.parse(raw) as Record<string, unknown>;
    if (typeof m.waMessageId !== 'string' || typeof m.fromJid !== 'string') return undefined;
    const message: InboundMessage = { waMessageId: m.waMessageId, fromJid: m.fromJid };
    if (typeof m.fromPhone === 'string') message.fromPhone = m.fromPhone;
    if (typeof m.text === 'string') message.text = m.text;
    if (typeof m.quotedWaMessageId === 'string') message.quotedWaMessageId = m.quotedWaMessageId;
    return message;
  } catch {
    return undefined;
  }
}
