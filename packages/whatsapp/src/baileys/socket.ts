import type { BaileysEventMap, UserFacingSocketConfig } from '@whiskeysockets/baileys';

export type EventBatch = Partial<BaileysEventMap>;

/**
 * The part of a Baileys socket (`ReturnType<typeof makeWASocket>`) the adapter
 * uses; tests inject fakes whose `ev` is Baileys' own `makeEventBuffer`.
 */
export interface BaileysSocketLike {
  ev: { process(handler: (events: EventBatch) => void | Promise<void>): () => void };
  ws?: { readonly isOpen: boolean };
  readonly user?: { id: string } | undefined;
  sendMessage(
    jid: string,
    content: { text: string },
    options?: { messageId?: string },
  ): Promise<{ key?: { id?: string | null } | null } | undefined>;
  logout(msg?: string): Promise<void>;
  end(error: Error | undefined): void | Promise<void>;
  /** Baileys' pairing-code link (phone digits, no "+"). */
  requestPairingCode?(phoneNumber: string): Promise<string>;
  onWhatsApp?(...jids: string[]): Promise<{ jid: string; exists: boolean }[] | undefined>;
  signalRepository?: { lidMapping?: { getPNForLID(lid: string): Promise<string | null> } };
}

export type MakeBaileysSocket = (config: UserFacingSocketConfig) => BaileysSocketLike;
