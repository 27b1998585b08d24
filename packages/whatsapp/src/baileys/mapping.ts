import {
  isJidBroadcast,
  isJidGroup,
  isJidNewsletter,
  isJidStatusBroadcast,
  isLidUser,
  isPnUser,
  jidNormalizedUser,
  normalizeMessageContent,
  proto,
  type MessageUserReceiptUpdate,
  type WAMessage,
  type WAMessageKey,
  type WAMessageUpdate,
} from '@whiskeysockets/baileys';
import { AppError, jidToPhone, type InboundMessage } from '@wa-dispatch/core';

const Status = proto.WebMessageInfo.Status;

/** Statuses of our own messages mapped to the port's receipts; SERVER_ACK is "sent", not a receipt. */
export function receiptStatus(status: number | null | undefined): 'delivered' | 'read' | undefined {
  switch (status) {
    case Status.DELIVERY_ACK:
      return 'delivered';
    case Status.READ:
    case Status.PLAYED:
      return 'read';
    default:
      return undefined;
  }
}

export interface MappedReceipt {
  waMessageId: string;
  status: 'delivered' | 'read';
}

/** `messages.update` -> receipts of our own messages. */
export function receiptsFromUpdates(updates: readonly WAMessageUpdate[]): MappedReceipt[] {
  const out: MappedReceipt[] = [];
  for (const { key, update } of updates) {
    if (!key?.fromMe || !key.id) continue;
    const status = receiptStatus(update?.status);
    if (status) out.push({ waMessageId: key.id, status });
  }
  return out;
}

/** `message-receipt.update` (per-user receipts, groups mostly) -> receipts of our own messages. */
export function receiptsFromUserReceipts(updates: readonly MessageUserReceiptUpdate[]): MappedReceipt[] {
  const out: MappedReceipt[] = [];
  for (const { key, receipt } of updates) {
    if (!key?.fromMe || !key.id || !receipt) continue;
    if (receipt.readTimestamp || receipt.playedTimestamp) out.push({ waMessageId: key.id, status: 'read' });
    else if (receipt.receiptTimestamp) out.push({ waMessageId: key.id, status: 'delivered' });
  }
  return out;
}

/** Our own messages that WhatsApp refused after accepting them (error ack, e.g. 463); for logs. */
export function sendErrorsFromUpdates(updates: readonly WAMessageUpdate[]): { waMessageId: string; code: string }[] {
  const out: { waMessageId: string; code: string }[] = [];
  for (const { key, update } of updates) {
    if (!key?.fromMe || !key.id || update?.status !== Status.ERROR) continue;
    const params: unknown = update.messageStubParameters;
    const code = Array.isArray(params) && params.length > 0 ? String(params[0]) : 'unknown';
    out.push({ waMessageId: key.id, code });
  }
  return out;
}

/** 1:1 chats only: groups, status, broadcast lists and newsletters are not the tenant's customers. */
export function isDirectChat(jid: string | null | undefined): jid is string {
  if (!jid) return false;
  if (isJidGroup(jid) || isJidStatusBroadcast(jid) || isJidBroadcast(jid) || isJidNewsletter(jid)) return false;
  return isPnUser(jid) === true || isLidUser(jid) === true;
}

/** Phone digits of a PN JID, or undefined (LIDs, malformed). */
export function phoneOfJid(jid: string | null | undefined): string | undefined {
  if (!jid || isPnUser(jid) !== true) return undefined;
  try {
    return jidToPhone(jidNormalizedUser(jid));
  } catch {
    return undefined;
  }
}

/**
 * The PN JID behind a chat. 7.x addresses many chats by LID (`…@lid`) and then
 * puts the phone JID in `remoteJidAlt` (or `participantAlt`).
 */
export function phoneJidOfKey(key: WAMessageKey): string | undefined {
  for (const jid of [key.remoteJid, key.remoteJidAlt, key.participantAlt]) {
    if (jid && isPnUser(jid) === true) return jidNormalizedUser(jid);
  }
  return undefined;
}

function textOf(content: proto.IMessage | undefined): string | undefined {
  if (!content) return undefined;
  if (typeof content.conversation === 'string') return content.conversation;
  const ext = content.extendedTextMessage?.text;
  if (typeof ext === 'string') return ext;
  for (const media of [content.imageMessage, content.videoMessage, content.documentMessage]) {
    if (typeof media?.caption === 'string') return media.caption;
  }
  return undefined;
}

/**
 * A `messages.upsert` message -> the port's inbound message, or undefined when
 * it is not a customer's message to us: ours (fromMe), not 1:1, no id, or a
 * protocol/reaction/stub message without user content. `fromPhone` is filled
 * when the phone is known from the key, or from `resolvedPnJid` (LID mapping store) for a bare LID.
 */
export function toInbound(message: WAMessage, resolvedPnJid?: string): InboundMessage | undefined {
  const key = message.key;
  if (!key || key.fromMe || !key.id) return undefined;
  if (!isDirectChat(key.remoteJid)) return undefined;
  const content = normalizeMessageContent(message.message);
  if (!content) return undefined;
  if (content.protocolMessage || content.reactionMessage) return undefined;
  const kinds = Object.keys(content).filter((k) => k !== 'messageContextInfo' && k !== 'senderKeyDistributionMessage');
  if (kinds.length === 0) return undefined;

  const fromJid = jidNormalizedUser(key.remoteJid);
  const inbound: InboundMessage = { waMessageId: key.id, fromJid };
  const phone = phoneOfJid(phoneJidOfKey(key) ?? resolvedPnJid);
  if (phone) inbound.fromPhone = phone;
  const text = textOf(content);
  if (text !== undefined) inbound.text = text;
  const quoted = content.extendedTextMessage?.contextInfo?.stanzaId;
  if (quoted) inbound.quotedWaMessageId = quoted;
  return inbound;
}

/** Numeric code of a Baileys/Boom error: `data` (iq error code) first, then the Boom status code. */
export function errorCodeOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { data?: unknown; output?: { statusCode?: unknown } };
  if (typeof e.data === 'number' && Number.isFinite(e.data)) return e.data;
  const status = e.output?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The statusCode Baileys closed a connection with (`lastDisconnect.error.output.statusCode`). */
export function disconnectCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { output?: { statusCode?: unknown } }).output?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export interface SendErrorContext {
  /** Default delay suggested on a 429 (WhatsApp gives none). */
  rateLimitRetryMs: number;
  /** End of an active reach-out time lock, when WhatsApp told us. */
  reachoutLockedUntil?: number;
}

/**
 * Baileys send failures -> TRANSPORT.* AppErrors. The original error is not
 * kept as `cause`: Baileys messages and data can carry JIDs (phone numbers).
 */
export function mapSendError(error: unknown, ctx: SendErrorContext): AppError {
  if (AppError.is(error)) return error;
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : '';
  if (code === 429 || /rate-overlimit/i.test(message)) {
    return new AppError('TRANSPORT.RATE_LIMITED', 'rate limited by WhatsApp (rate-overlimit)', {
      retryable: true,
      details: { waErrorCode: 429, retryAfterMs: ctx.rateLimitRetryMs },
    });
  }
  if (code === 463) {
    return new AppError('TRANSPORT.REACHOUT_LOCKED', 'WhatsApp refuses messages to new contacts for now (463)', {
      retryable: false,
      details: ctx.reachoutLockedUntil ? { waErrorCode: 463, untilMs: ctx.reachoutLockedUntil } : { waErrorCode: 463 },
    });
  }
  if (/restricted/i.test(message)) {
    return new AppError('TRANSPORT.RESTRICTED', 'account restricted from sending', {
      retryable: true,
      details: ctx.reachoutLockedUntil ? { untilMs: ctx.reachoutLockedUntil } : {},
    });
  }
  // 428 connectionClosed, 408 timed out / lost, 440 replaced, 515 restart: the socket is gone.
  if (code === 428 || code === 408 || code === 440 || code === 515 || /connection (closed|lost|terminated)/i.test(message)) {
    return new AppError('TRANSPORT.DISCONNECTED', 'connection closed while sending', {
      retryable: true,
      details: code === undefined ? {} : { waErrorCode: code },
    });
  }
  return new AppError('TRANSPORT.SEND_FAILED', 'WhatsApp send failed', {
    retryable: true,
    details: code === undefined ? {} : { waErrorCode: code },
  });
}
