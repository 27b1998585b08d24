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
