/**
 * Holds the live transport sessions of the shards this worker leases. A
 * session is opened only under a lease epoch, keyed by its own session id and
 * owner, and every write it triggers (status, receipts, replies) is filed
 * under that owner: nothing here can route one tenant's traffic through
 * another tenant's socket.
 */
import {
  AppError,
  maskPhone,
  type InboundMessage,
  type LiveSessions,
  type SessionRecord,
  type SessionStatus,
  type TransportSession,
  type TransportSessionState,
  type WhatsappTransport,
} from '@wa-dispatch/core';
import type { InboundRepository, MessageDispatchRepository, SessionRepository } from '@wa-dispatch/db';
import type { Logger } from './logger.js';

/** Statuses whose sessions a new shard holder brings back up. */
export const RESTORABLE_STATUSES: readonly SessionStatus[] = ['connecting', 'connected', 'disconnected', 'pending_qr'];

export interface SessionEventSink {
  onSessionState?(session: SessionRecord, state: TransportSessionState, info: { number?: string; code?: string }): void;
  /** `chatId` is the receiving session's owner; `reply` the stored message and that session's id. */
  /** `webhookDeliveryId`: the message.inbound delivery stored with the reply (its job is still to add). */
  onInbound?(
    chatId: bigint,
    inboundId: string,
    inReplyToId: string | null,
    reply?: InboundMessage & { sessionId: string },
    webhookDeliveryId?: string | null,
  ): void;
  onReceipt?(sessionId: string, waMessageId: string, status: 'delivered' | 'read'): void;
  /** A QR to show for the session (each rotation again); `session` is the row it was opened for. */
  onQr?(chatId: bigint, qr: string, expiresAt: Date, session: SessionRecord): void | Promise<void>;
}

/** Waits before retrying a receipt that arrived before its message's `sent` write. */
const RECEIPT_RETRY_DELAYS_MS = [100, 200, 400, 800, 1_600] as const;

/** States after which a transport session is over: a relink needs a new one. */
const FINAL_STATES: ReadonlySet<TransportSessionState> = new Set(['logged_out', 'banned', 'replaced', 'qr_expired', 'quarantined']);

export interface SessionManagerOptions {
  transport: WhatsappTransport;
  sessions: SessionRepository;
  messages: MessageDispatchRepository;
  inbound: InboundRepository;
  logger: Logger;
  /** Bound on concurrent opens when a shard with many sessions arrives. */
  openConcurrency?: number;
  events?: SessionEventSink;
}

interface LiveEntry {
  session: TransportSession;
  shard: number;
  epoch: bigint;
  /** The last state the transport reported for this session. */
  status: { state?: TransportSessionState };
}

export class SessionManager implements LiveSessions {
  private readonly live = new Map<string, LiveEntry>();
  private readonly opening = new Map<string, Promise<void>>();
  private readonly shardEpochs = new Map<number, bigint>();
  /**
   * Sessions whose logout outcome is already on the row (refused for a number
   * another tenant holds, or logged out through the API): the transport's own
   * logged_out echo must not overwrite the reason.
   */
  private readonly outcomeRecorded = new Set<string>();

  constructor(private readonly o: SessionManagerOptions) {}

  get(sessionId: string): TransportSession | undefined {
    return this.live.get(sessionId)?.session;
  }

  /**
   * A receipt can overtake the `sent` write of its own message (the transport
   * call returns, the receipt arrives, the write is still in flight). Such a
   * receipt is tried again a few times over ~3 s instead of being lost.
   */
  private async applyReceipt(sessionId: string, waMessageId: string, status: 'delivered' | 'read'): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.o.messages.applyReceipt(sessionId, waMessageId, status);
      if (result === 'applied') {
        this.o.events?.onReceipt?.(sessionId, waMessageId, status);
        return;
      }
      if (result === 'ignored' || attempt >= RECEIPT_RETRY_DELAYS_MS.length) return;
      await new Promise((r) => setTimeout(r, RECEIPT_RETRY_DELAYS_MS[attempt]));
    }
  }

  size(): number {
    return this.live.size;
  }

  async openShard(shard: number, epoch: bigint): Promise<void> {
    this.shardEpochs.set(shard, epoch);
    const records = await this.o.sessions.listByShard(shard, RESTORABLE_STATUSES);
    await runBounded(records, this.o.openConcurrency ?? 20, (r) => this.ensureOpen(r, shard, epoch));
  }

  async closeShard(shard: number): Promise<void> {
    this.shardEpochs.delete(shard);
    const closing: Promise<void>[] = [];
    for (const [sessionId, entry] of this.live) {
      if (entry.shard !== shard) continue;
      this.live.delete(sessionId);
      closing.push(entry.session.close().catch((err) => this.o.logger.warn({ err, sessionId }, 'close failed')));
    }
    await Promise.all(closing);
  }

  /** Re-reads one session row and opens or closes its socket to match. */
  async refresh(sessionId: string): Promise<void> {
    const record = await this.o.sessions.findById(sessionId);
    if (!record) return;
    const epoch = this.shardEpochs.get(record.shard);
    if (epoch === undefined) return; // not our shard
    let entry = this.live.get(sessionId);
    if (RESTORABLE_STATUSES.includes(record.status)) {
      if (entry?.status.state !== undefined && FINAL_STATES.has(entry.status.state)) {
        // e.g. a relink after qr_expired: the old transport session is over, open a new one
        this.live.delete(sessionId);
        await entry.session.close().catch((err) => this.o.logger.warn({ err, sessionId }, 'close failed'));
        entry = undefined;
      }
      if (!entry) await this.ensureOpen(record, record.shard, epoch);
    } else if (entry) {
      if (record.status === 'logged_out') {
        // logged out through the API: end the link on WhatsApp's side too, not just the socket
        this.outcomeRecorded.add(sessionId);
        await this.logout(sessionId);
        return;
      }
      this.live.delete(sessionId);
      await entry.session.close();
    }
  }

  /** The shard of a session this worker holds open under its current lease, if any. */
  liveShard(sessionId: string): number | undefined {
    const entry = this.live.get(sessionId);
    return entry && this.shardEpochs.get(entry.shard) === entry.epoch ? entry.shard : undefined;
  }

  /** A pairing code from the live session (it must be showing a QR). */
  async requestPairingCode(sessionId: string, phone: string): Promise<string> {
    const entry = this.live.get(sessionId);
    if (!entry || this.shardEpochs.get(entry.shard) !== entry.epoch) {
      throw new AppError('SESSION.QR_NOT_AVAILABLE', 'the session is not open on this worker');
    }
    if (!entry.session.requestPairingCode) {
      throw new AppError('SESSION.PAIRING_UNSUPPORTED', 'this transport cannot link by pairing code');
    }
    return entry.session.requestPairingCode(phone);
  }

  async logout(sessionId: string): Promise<void> {
    const entry = this.live.get(sessionId);
    if (!entry) return;
    this.live.delete(sessionId);
    await entry.session.logout();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.shardEpochs.keys()].map((s) => this.closeShard(s)));
  }

  private ensureOpen(record: SessionRecord, shard: number, epoch: bigint): Promise<void> {
    if (this.live.has(record.sessionId)) return Promise.resolve();
    const pending = this.opening.get(record.sessionId);
    if (pending) return pending;
    const p = this.open(record, shard, epoch).finally(() => this.opening.delete(record.sessionId));
    this.opening.set(record.sessionId, p);
    return p;
  }

  private async open(record: SessionRecord, shard: number, epoch: bigint): Promise<void> {
    const { sessionId, chatIdUsuario: owner } = record;
    const log = this.o.logger.child({ sessionId, shard });
    const status: LiveEntry['status'] = {};
    this.outcomeRecorded.delete(sessionId);
    try {
      const session = await this.o.transport.open({
        sessionId,
        ownerChatId: owner,
        epoch,
        handlers: {
          onState: (state, info) => {
            status.state = state;
            return this.onState(record, epoch, state, info);
          },
          onQr: async (qr, expiresAt) => {
            if (this.shardEpochs.get(shard) !== epoch) return; // the shard moved on: not ours to show
            await this.o.events?.onQr?.(owner, qr, expiresAt, record);
          },
          onReceipt: (waMessageId, status) => this.applyReceipt(sessionId, waMessageId, status),
          onInbound: async (message) => {
            const stored = await this.o.inbound.store(sessionId, owner, message);
            if (stored) this.o.events?.onInbound?.(owner, stored.id, stored.inReplyToId, { ...message, sessionId }, stored.webhookDeliveryId);
          },
        },
      });
      if (session.sessionId !== sessionId || session.ownerChatId !== owner) {
        await session.close();
        throw new AppError('SESSION.SOCKET_MISMATCH', 'transport opened a session for another owner');
      }
      if (this.shardEpochs.get(shard) !== epoch) {
        await session.close(); // the shard moved on while we were connecting
        return;
      }
      this.live.set(sessionId, { session, shard, epoch, status });
    } catch (err) {
      log.warn({ err }, 'session open failed');
    }
  }

  private async onState(
    record: SessionRecord,
    epoch: bigint,
    state: TransportSessionState,
    info: { number?: string; code?: string; message?: string },
  ): Promise<void> {
    const { sessionId } = record;
    if (state === 'logged_out' && this.outcomeRecorded.delete(sessionId)) {
      this.o.events?.onSessionState?.(record, state, info);
      return; // the echo of a logout whose outcome the row already records
    }
    try {
      const written = await this.o.sessions.updateStatus(sessionId, epoch, state, {
        ...(info.number ? { numeroWhatsapp: info.number } : {}),
        lastError: info.code ? `${info.code}${info.message ? `: ${info.message}` : ''}` : null,
      });
      if (!written) {
        this.o.logger.warn({ sessionId }, 'session status write fenced off (stale epoch)');
        return;
      }
    } catch (err) {
      if (isLinkedNumberConflict(err)) {
        // One number, one tenant: the newcomer's link is undone, never shared.
        this.o.logger.warn({ sessionId, number: info.number ? maskPhone(info.number) : undefined }, 'number already linked by another tenant');
        await this.o.sessions.updateStatus(sessionId, epoch, 'logged_out', {
          numeroWhatsapp: null,
          lastError: 'SESSION.NUMBER_TAKEN',
        });
        this.outcomeRecorded.add(sessionId);
        await this.logout(sessionId).catch(() => undefined);
        this.o.events?.onSessionState?.(record, 'logged_out', { code: 'SESSION.NUMBER_TAKEN' });
        return;
      }
      throw err;
    }
    this.o.events?.onSessionState?.(record, state, info);
  }
}

function isLinkedNumberConflict(err: unknown): boolean {
  const text = String((err as { message?: string })?.message ?? '') + JSON.stringify((err as { meta?: unknown })?.meta ?? {});
  return text.includes('whatsapp_sessions_linked_number_key') || (text.includes('numero_whatsapp') && text.includes('Unique'));
}

async function runBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}
