import { pino } from 'pino';
import {
  makeEventBuffer,
  type BaileysEventMap,
  type UserFacingSocketConfig,
} from '@whiskeysockets/baileys';
import type { BaileysSocketLike, MakeBaileysSocket } from './transport.js';

/**
 * Test support: a Baileys socket stand-in whose `ev` is Baileys' own event
 * buffer, so events reach the adapter exactly as a real socket emits them.
 * Safe to ship: it never touches the network.
 */
export class FakeBaileysSocket implements BaileysSocketLike {
  readonly ev = makeEventBuffer(pino({ level: 'silent' }));
  readonly ws = { isOpen: false };
  user: { id: string } | undefined;
  readonly sent: { jid: string; text: string; messageId: string | undefined }[] = [];
  ended = false;
  loggedOut = false;
  /** Make the next sendMessage calls reject with these errors (in order). */
  readonly sendErrors: unknown[] = [];
  /** `onWhatsApp` answers; unset: the method is absent. */
  registered: Set<string> | undefined;
  lidToPn = new Map<string, string>();
  readonly signalRepository = {
    lidMapping: { getPNForLID: async (lid: string): Promise<string | null> => this.lidToPn.get(lid) ?? null },
  };

  constructor(readonly config: UserFacingSocketConfig) {}

  emit<E extends keyof BaileysEventMap>(event: E, data: BaileysEventMap[E]): void {
    this.ev.emit(event, data);
  }

  qr(value: string): void {
    this.ws.isOpen = true;
    this.emit('connection.update', { qr: value });
  }

  /** Completes the login as `jid` (`5511…:3@s.whatsapp.net`). */
  open(jid: string): void {
    this.ws.isOpen = true;
    this.user = { id: jid };
    this.emit('connection.update', { connection: 'open' });
  }

  /** Closes like Baileys' `end(new Boom(msg, {statusCode}))`. */
  close(statusCode: number | undefined, message = 'Connection Closed'): void {
    this.ws.isOpen = false;
    const error = statusCode === undefined ? undefined : Object.assign(new Error(message), { output: { statusCode } });
    this.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
  }

  async sendMessage(jid: string, content: { text: string }, options?: { messageId?: string }) {
    if (this.sendErrors.length > 0) throw this.sendErrors.shift();
    this.sent.push({ jid, text: content.text, messageId: options?.messageId });
    return { key: { id: options?.messageId ?? 'GENERATED', remoteJid: jid, fromMe: true } };
  }

  get onWhatsApp() {
    const registered = this.registered;
    if (!registered) return undefined;
    return async (...phones: string[]) =>
      phones.map((p) => {
        const digits = p.replace('+', '');
        return { jid: `${digits}@s.whatsapp.net`, exists: registered.has(digits) };
      });
  }

  async logout(): Promise<void> {
    this.loggedOut = true;
    this.close(401, 'Intentional Logout');
  }

  end(): void {
    this.ended = true;
    this.ws.isOpen = false;
  }
}

/** A `makeSocket` that records every socket it made; `onCreate` can script each one. */
export function fakeSocketFactory(onCreate?: (sock: FakeBaileysSocket, index: number) => void): {
  makeSocket: MakeBaileysSocket;
  sockets: FakeBaileysSocket[];
} {
  const sockets: FakeBaileysSocket[] = [];
  const makeSocket: MakeBaileysSocket = (config) => {
    const sock = new FakeBaileysSocket(config);
    sockets.push(sock);
    const index = sockets.length - 1;
    // Baileys emits its first connection.update on the next tick, after the caller subscribed.
    process.nextTick(() => {
      sock.emit('connection.update', { connection: 'connecting', qr: undefined });
      onCreate?.(sock, index);
    });
    return sock;
  };
  return { makeSocket, sockets };
}
