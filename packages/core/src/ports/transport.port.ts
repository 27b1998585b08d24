/**
 * The port through which a session talks to WhatsApp. Implemented by the
 * Baileys adapter (real) and the simulator. A TransportSession is opened for
 * exactly one session id and one owner; the worker compares both before every
 * send, so a socket can never carry another tenant's message.
 */
export type TransportSessionState =
  | 'pending_qr'
  | 'qr_expired'
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'logged_out'
  | 'banned'
  | 'replaced'
  | 'quarantined';

export interface TransportStateInfo {
  /** E.164 digits of the linked number, once known. */
  number?: string;
  /** Machine-readable reason for a disconnect or refusal. */
  code?: string;
  message?: string;
}

export interface InboundMessage {
  waMessageId: string;
  fromJid: string;
  fromPhone?: string;
  text?: string;
  /** The WhatsApp id of our outbound message this one quotes, when known. */
  quotedWaMessageId?: string;
}

export interface TransportSessionHandlers {
  onState(state: TransportSessionState, info: TransportStateInfo): void | Promise<void>;
  onQr?(qr: string, expiresAt: Date): void | Promise<void>;
  onReceipt(waMessageId: string, status: 'delivered' | 'read'): void | Promise<void>;
  onInbound(message: InboundMessage): void | Promise<void>;
}

export interface OpenSessionRequest {
  sessionId: string;
  ownerChatId: bigint;
  /** Fencing token of the shard lease under which the session is opened. */
  epoch: bigint;
  handlers: TransportSessionHandlers;
}

export interface SendRequest {
  /** Recipient, E.164 digits. */
  to: string;
  text: string;
  /**
   * Stable id derived from the outbox row. Lets a transport that can answer
   * `wasSent` prove whether an interrupted send left the phone.
   */
  clientMessageId: string;
}

export interface SendResult {
  waMessageId: string;
}

export interface TransportSession {
  readonly sessionId: string;
  readonly ownerChatId: bigint;
  /** The linked number (E.164 digits) once the link is complete. */
  linkedNumber(): string | undefined;
  isOpen(): boolean;
  /** Throws AppError TRANSPORT.* (retryable where a retry may succeed). */
  send(request: SendRequest): Promise<SendResult>;
  /** true/false when the transport knows; undefined when it cannot tell. */
  wasSent(clientMessageId: string): Promise<boolean | undefined>;
  close(): Promise<void>;
  logout(): Promise<void>;
  /**
   * While the session shows a QR: asks WhatsApp for an 8-character pairing
   * code that links `phone` (E.164 digits) when typed on that phone, instead
   * of scanning. Optional: a transport without it cannot link by code.
   * SESSION.QR_NOT_AVAILABLE unless the session is waiting for a link.
   */
  requestPairingCode?(phone: string): Promise<string>;
}

export interface WhatsappTransport {
  readonly kind: 'simulator' | 'baileys';
  open(request: OpenSessionRequest): Promise<TransportSession>;
  shutdown(): Promise<void>;
}
