import { z } from 'zod';

/**
 * Lifecycle of an outbox row. `uncertain` exists because a send that may have
 * left the phone must never be repeated blindly: a job found in `sending`
 * after a crash is only resent when the transport proves it was not sent.
 */
export const MessageStatus = z.enum([
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'rejected',
  'uncertain',
]);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const TERMINAL_STATUSES: ReadonlySet<MessageStatus> = new Set([
  'sent',
  'delivered',
  'read',
  'failed',
  'rejected',
  'uncertain',
]);

/** Receipts only ever move a message forward: a late "delivered" never undoes "read". */
const RECEIPT_RANK: Record<'sent' | 'delivered' | 'read', number> = { sent: 0, delivered: 1, read: 2 };

export function receiptAdvances(current: MessageStatus, receipt: 'delivered' | 'read'): boolean {
  if (current !== 'sent' && current !== 'delivered' && current !== 'read') return false;
  return RECEIPT_RANK[receipt] > RECEIPT_RANK[current];
}
