import { isPnUser, jidNormalizedUser } from '@whiskeysockets/baileys';
import { brazilianVariants, toJid } from '@wa-dispatch/core';
import { describe } from './session-helpers.js';
import type { BaileysSocketLike } from './socket.js';
import type { BaileysTransportLogger } from './transport-options.js';

const MAX_RECIPIENT_CACHE = 1_000;

/**
 * Brazilian mobiles may be registered with or without the ninth digit; when
 * the socket can ask (`onWhatsApp`), the registered form is used and cached.
 */
export class RecipientResolver {
  private readonly recipients = new Map<string, string>();

  constructor(
    private readonly sessionId: string,
    private readonly log: BaileysTransportLogger,
  ) {}

  async jidFor(sock: BaileysSocketLike, to: string): Promise<string> {
    const variants = brazilianVariants(to);
    if (variants.length < 2 || !sock.onWhatsApp) return toJid(to);
    const key = variants[0] ?? to;
    const cached = this.recipients.get(key);
    if (cached) return cached;
    try {
      const found = (await sock.onWhatsApp(...variants.map((v) => `+${v}`))) ?? [];
      const existing = new Set(found.filter((r) => r.exists && isPnUser(r.jid) === true).map((r) => jidNormalizedUser(r.jid)));
      const jid = variants.map((v) => toJid(v)).find((j) => existing.has(j));
      if (jid) {
        if (this.recipients.size >= MAX_RECIPIENT_CACHE) {
          const oldest = this.recipients.keys().next().value;
          if (oldest !== undefined) this.recipients.delete(oldest);
        }
        this.recipients.set(key, jid);
        return jid;
      }
    } catch (e) {
      this.log.debug({ sessionId: this.sessionId, err: describe(e) }, 'baileys: recipient lookup failed');
    }
    return toJid(to);
  }

  /** A new link may be another number: earlier lookups no longer apply. */
  clear(): void {
    this.recipients.clear();
  }
}
