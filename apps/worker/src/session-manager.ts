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
  onInbound?(chatId: bigint, inboundId: string, inReplyToId: string | null): void;
  onReceipt?(sessionId: string, waMessageId: string, status: 'delivered' | 'read'): void;
  onQr?(chatId: bigint, qr: string, expiresAt: Date): void;
}

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
}

export class SessionManager implements LiveSessions {
  private readonly live = new Map<string, LiveEntry>();
  private readonly opening = new Map<string, Promise<void>>();
  private readonly shardEpochs = new Map<number, bigint>();

  constructor(private readonly o: SessionManagerOptions) {}

  get(sessionId: string): TransportSession | undefined {
    return this.live.get(sessionId)?.session;
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
    const entry = this.live.get(sessionId);
    if (RESTORABLE_STATUSES.includes(record.status)) {
      if (!entry) await this.ensureOpen(record, record.shard, epoch);
    } else if (entry) {
      this.live.delete(sessionId);
      await entry.session.close();
    }
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
    try {
      const session = await this.o.transport.open({
        sessionId,
        ownerChatId: owner,
        epoch,
        handlers: {
          onState: (state, info) => this.onState(record, epoch, state, info),
          onQr: (qr, expiresAt) => this.o.events?.onQr?.(owner, qr, expiresAt),
          onReceipt: async (waMessageId, status) => {
            if (await this.o.messages.applyReceipt(sessionId, waMessageId, status)) {
              this.o.events?.onReceipt?.(sessionId, waMessageId, status);
            }
          },
          onInbound: async (message) => {
            const stored = await this.o.inbound.store(sessionId, owner, message);
            if (stored) this.o.events?.onInbound?.(owner, stored.id, stored.inReplyToId);
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
      this.live.set(sessionId, { session, shard, epoch });
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
