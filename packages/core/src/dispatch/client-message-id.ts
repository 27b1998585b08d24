/**
 * The WhatsApp message id we ask the transport to use for an outbox row.
 * Deriving it from the row (instead of letting the library pick one) is what
 * makes an interrupted send checkable: after a crash the id is known, so the
 * transport can say whether that exact message left.
 */
export function clientMessageIdFor(messageId: string): string {
  const hex = messageId.replace(/-/g, '').toUpperCase();
  if (!/^[0-9A-F]{32}$/.test(hex)) throw new TypeError('messageId must be a UUID');
  return `WAD${hex}`;
}

/**
 * The outbox id behind a WhatsApp message id we chose, or null for any other
 * id. A reply quoting our message can so be matched to its outbox row before
 * the `sent` write (which records the id) has committed.
 */
export function messageIdFromClientId(waMessageId: string): string | null {
  const m = /^WAD([0-9A-F]{32})$/.exec(waMessageId);
  if (!m) return null;
  const h = m[1]!.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
