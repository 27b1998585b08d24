import { pino } from 'pino';
import { makeWASocket } from '@whiskeysockets/baileys';
import { AppError, systemClock, type OpenSessionRequest, type TransportSession, type WhatsappTransport } from '@wa-dispatch/core';
import { ownedBy } from '../session-states.js';
import { BaileysSession } from './baileys-session.js';
import { ConnectLimiter } from './connect-limiter.js';
import type { SessionHost } from './session-host.js';
import type { MakeBaileysSocket } from './socket.js';
import type { BaileysTransportLogger, BaileysTransportOptions, TimerApi } from './transport-options.js';

export type { BaileysSocketLike, MakeBaileysSocket } from './socket.js';
export type { BaileysTransportLogger, BaileysTransportOptions, TimerApi } from './transport-options.js';

const SILENT: BaileysTransportLogger = { debug: () => undefined, warn: () => undefined };

const DEFAULT_TIMERS: TimerApi = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

const defaultMakeSocket: MakeBaileysSocket = (config) => makeWASocket(config);

/**
 * WhatsappTransport over Baileys 7 (WhatsApp Web multi-device). One socket
 * per open session, auth state in an {@link AuthStateStore}, connects bounded
 * by a limiter shared by every session of this transport.
 */
export class BaileysTransport implements WhatsappTransport {
  readonly kind = 'baileys' as const;
  private readonly host: SessionHost;
  private readonly sessions = new Map<string, BaileysSession>();
  private stopped = false;

  constructor(options: BaileysTransportOptions) {
    if (!options?.authStore) throw new AppError('CONFIG.INVALID', 'BaileysTransport needs an authStore');
    const host: SessionHost = {
      authStore: options.authStore,
      makeSocket: options.makeSocket ?? defaultMakeSocket,
      limiter: new ConnectLimiter(positiveInt(options.maxConcurrentConnects, 5, 'maxConcurrentConnects')),
      log: options.logger ?? SILENT,
      baileysLogger: options.baileysLogger ?? pino({ level: 'silent' }),
      settings: {
        connectSlotTimeoutMs: positiveInt(options.connectSlotTimeoutMs, 30_000, 'connectSlotTimeoutMs'),
        qrTimeoutMs: options.qrTimeoutMs === undefined ? undefined : positiveInt(options.qrTimeoutMs, 0, 'qrTimeoutMs'),
        rateLimitRetryMs: positiveInt(options.rateLimitRetryMs, 60_000, 'rateLimitRetryMs'),
        backoff: options.backoff ?? {},
        quarantine: options.quarantine ?? {},
        socketConfig: options.socketConfig ?? {},
      },
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
      timers: options.timers ?? DEFAULT_TIMERS,
      detach: (session) => {
        if (this.sessions.get(session.sessionId) === session) this.sessions.delete(session.sessionId);
      },
    };
    this.host = host;
  }

  /**
   * Loads the session's auth state and starts connecting; resolves once the
   * attempt is under way (states follow through the handlers). Refuses a
   * session id that is not `user_{ownerChatId}`. Opening a session this
   * transport already holds closes the older one first: two sockets of one
   * session would replace (440) each other.
   */
  async open(request: OpenSessionRequest): Promise<TransportSession> {
    if (this.stopped) throw new AppError('TRANSPORT.DISCONNECTED', 'baileys transport is shut down', { retryable: true });
    if (!ownedBy(request?.sessionId, request?.ownerChatId)) {
      throw new AppError('SESSION.OWNER_MISMATCH', 'session id does not belong to the owner chat id');
    }
    const existing = this.sessions.get(request.sessionId);
    if (existing) {
      this.host.log.warn({ sessionId: request.sessionId }, 'baileys: session opened again; closing the older socket');
      await existing.close();
    }
    const session = new BaileysSession(this.host, request);
    this.sessions.set(request.sessionId, session);
    try {
      await session.start();
    } catch (e) {
      await session.close().catch(() => undefined);
      throw e;
    }
    return session;
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled([...this.sessions.values()].map((s) => s.close()));
  }

  /** For metrics and benches. */
  stats(): { sessions: number; connecting: number; waitingToConnect: number } {
    const { active, waiting } = this.host.limiter.stats();
    return { sessions: this.sessions.size, connecting: active, waitingToConnect: waiting };
  }
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new AppError('CONFIG.INVALID', `${name} must be a positive number`);
  return Math.floor(v);
}
