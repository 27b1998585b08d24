import { isLidUser, type BaileysEventMap } from '@whiskeysockets/baileys';
import { maskPhone, type TransportSessionHandlers } from '@wa-dispatch/core';
import type { SessionTasks } from '../session-tasks.js';
import {
  phoneJidOfKey,
  phoneOfJid,
  receiptsFromUpdates,
  receiptsFromUserReceipts,
  sendErrorsFromUpdates,
  toInbound,
} from './mapping.js';
import type { BaileysSocketLike } from './socket.js';
import type { BaileysTransportLogger } from './transport-options.js';

/**
 * Baileys' message and receipt events of one session, mapped to the port's
 * handlers. Runs inside the session's task queue, so handlers still see
 * events in the order the socket produced them.
 */
export class MessageRelay {
  constructor(
    private readonly sessionId: string,
    private readonly log: BaileysTransportLogger,
    private readonly tasks: SessionTasks,
    private readonly handlers: TransportSessionHandlers,
  ) {}

  async upsert(sock: BaileysSocketLike, upsert: BaileysEventMap['messages.upsert']): Promise<void> {
    if (upsert.type !== 'notify') return; // history/appends are not new customer messages
    for (const message of upsert.messages ?? []) {
      const inbound = toInbound(message);
      if (!inbound) continue;
      const remote = message.key.remoteJid;
      if (!inbound.fromPhone && isLidUser(remote ?? undefined) && !phoneJidOfKey(message.key) && remote) {
        const lidMapping = sock.signalRepository?.lidMapping;
        const pn = lidMapping ? await lidMapping.getPNForLID(remote).catch(() => null) : null;
        const phone = phoneOfJid(pn);
        if (phone) inbound.fromPhone = phone;
      }
      this.log.debug(
        {
          sessionId: this.sessionId,
          waMessageId: inbound.waMessageId,
          from: inbound.fromPhone ? maskPhone(inbound.fromPhone) : 'lid',
        },
        'baileys: inbound',
      );
      await this.tasks.safe(() => this.handlers.onInbound(inbound));
    }
  }

  async messageUpdates(updates: BaileysEventMap['messages.update']): Promise<void> {
    for (const r of receiptsFromUpdates(updates)) {
      await this.tasks.safe(() => this.handlers.onReceipt(r.waMessageId, r.status));
    }
    for (const failure of sendErrorsFromUpdates(updates)) {
      // Accepted by the server, then refused (463: restricted / no privacy token for a new contact).
      this.log.warn(
        { sessionId: this.sessionId, waMessageId: failure.waMessageId, waErrorCode: failure.code },
        'baileys: message refused after send',
      );
    }
  }

  async userReceipts(receipts: BaileysEventMap['message-receipt.update']): Promise<void> {
    for (const r of receiptsFromUserReceipts(receipts)) await this.tasks.safe(() => this.handlers.onReceipt(r.waMessageId, r.status));
  }
}
