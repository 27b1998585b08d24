import { pino } from 'pino';
import { SessionTasks } from '../session-tasks.js';
import {
  isLidUser,
  isPnUser,
  jidNormalizedUser,
  makeWASocket,
  type BaileysEventMap,
  type ConnectionState,
  type UserFacingSocketConfig,
} from '@whiskeysockets/baileys';
import {
  AppError,
  brazilianVariants,
  jidToPhone,
  maskPhone,
  normalizePhone,
  sessionIdFor,
  systemClock,
  toJid,
  type Clock,
  type OpenSessionRequest,
  type SendRequest,
  type SendResult,
  type TransportSession,
  type TransportSessionHandlers,
  type TransportSessionState,
  type TransportStateInfo,
  type WhatsappTransport,
} from '@wa-dispatch/core';
import type { AuthStateStore } from './auth-state.port.js';
import { SessionAuthState, type BaileysLogger } from './auth-state.js';
import { ConnectLimiter } from './connect-limiter.js';
import {
  disconnectCode,
  mapSendError,
  phoneJidOfKey,
  phoneOfJid,
  receiptsFromUpdates,
  receiptsFromUserReceipts,
  sendErrorsFromUpdates,
  toInbound,
} from './mapping.js';
import { ReconnectPolicy, type BackoffOptions, type QuarantineOptions } from './reconnect-policy.js';

type EventBatch = Partial<BaileysEventMap>;

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

/** pino-compatible. The adapter never logs message text or full phone numbers. */
export interface BaileysTransportLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TimerApi {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BaileysTransportOptions {
  /** Postgres in production: `new AuthStateRepository(db)` from `@wa-dispatch/db`. */
  authStore: AuthStateStore;
  /** Socket factory; default Baileys' `makeWASocket`. */
  makeSocket?: MakeBaileysSocket;
  /**
   * Extra `makeWASocket` options (`version`, `browser`, `waWebSocketUrl`,
   * `connectTimeoutMs`, ...). `auth`, `logger`, `syncFullHistory: false` and
   * `markOnlineOnConnect: false` are always set by the adapter.
   */
  socketConfig?: Omit<Partial<UserFacingSocketConfig>, 'auth' | 'logger'>;
  /** The adapter's own logs (default silent). */
  logger?: BaileysTransportLogger;
  /**
   * Baileys' internal logger (default pino at level `silent`). Baileys logs JIDs,
   * i.e. full phone numbers, even at `warn`: keep it silent in production.
   */
  baileysLogger?: BaileysLogger;
  /** Sessions of this transport connecting at once (default 5). */
  maxConcurrentConnects?: number;
  /** Longest a connect holds its slot before the next session may start (default 30 s). */
  connectSlotTimeoutMs?: number;
  /** Reconnect backoff (default 1 s doubling to 60 s, equal jitter). */
  backoff?: BackoffOptions;
  /** Quarantine after more than 10 failures within 10 min without an open (default). */
  quarantine?: QuarantineOptions;
  /**
   * QR lifetime. Unset: Baileys' own, 60 s for a socket's first QR and 20 s for
   * each next one (WhatsApp sends a handful of refs per socket), and that is
   * what `expiresAt` reports. Set: passed to Baileys as `qrTimeout` for every QR.
   */
  qrTimeoutMs?: number;
  /** retryAfterMs suggested on a 429 rate-overlimit (default 60 s; WhatsApp gives none). */
  rateLimitRetryMs?: number;
  /** Time for QR expiry and the quarantine window (default system clock). */
  clock?: Clock;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Timers for backoff and slot holds (default unref'd global timers). */
  timers?: TimerApi;
}

interface Settings {
  connectSlotTimeoutMs: number;
  qrTimeoutMs: number | undefined;
  rateLimitRetryMs: number;
  backoff: BackoffOptions;
  quarantine: QuarantineOptions;
  socketConfig: Omit<Partial<UserFacingSocketConfig>, 'auth' | 'logger'>;
}

interface SessionHost {
  readonly authStore: AuthStateStore;
  readonly makeSocket: MakeBaileysSocket;
  readonly limiter: ConnectLimiter;
  readonly log: BaileysTransportLogger;
  readonly baileysLogger: BaileysLogger;
  readonly settings: Settings;
  readonly clock: Clock;
  readonly random: () => number;
  readonly timers: TimerApi;
  detach(session: BaileysSession): void;
}

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

const LOGGED_OUT: TransportStateInfo = { code: '401', message: 'logged out from the phone' };
const BANNED: TransportStateInfo = { code: '403', message: 'number banned by WhatsApp' };
const REPLACED: TransportStateInfo = { code: '440', message: 'session replaced by another connection' };
const QR_EXPIRED: TransportStateInfo = { code: 'QR_EXPIRED', message: 'no QR was scanned in time' };
const FENCED: TransportStateInfo = { code: 'SHARD.STALE_EPOCH', message: 'lease lost: auth state belongs to a newer holder' };

const MAX_RECIPIENT_CACHE = 1_000;

class BaileysSession implements TransportSession {
  readonly sessionId: string;
  readonly ownerChatId: bigint;
  readonly epoch: bigint;
  private readonly handlers: TransportSessionHandlers;
  private readonly policy: ReconnectPolicy;
  private readonly baileysLog: BaileysLogger;
  private auth: SessionAuthState | undefined;
  private state: TransportSessionState = 'connecting';
  private number: string | undefined;
  private sock: BaileysSocketLike | undefined;
  private unsubscribe: (() => void) | undefined;
  private releaseSlot: (() => void) | undefined;
  private slotTimer: unknown;
  private retryTimer: unknown;
  /** close()/logout() called or the transport shut down. */
  private closed = false;
  /** Terminal state reached or lease lost: no reconnect, ever. */
  private stopped = false;
  private fenced = false;
  /** Bumped by every connect; a connect that waited for a slot checks it is still the latest. */
  private connectGen = 0;
  /** QRs shown by the current socket. */
  private qrCount = 0;
  private reachoutLockedUntil: number | undefined;
  private readonly recipients = new Map<string, string>();
  private readonly tasks: SessionTasks;

  constructor(
    private readonly host: SessionHost,
    request: OpenSessionRequest,
  ) {
    this.sessionId = request.sessionId;
    this.tasks = new SessionTasks({
      isClosed: () => this.closed,
      warn: (what, e) => this.host.log.warn({ sessionId: this.sessionId, err: describe(e) }, `baileys: ${what}`),
    });
    this.ownerChatId = request.ownerChatId;
    this.epoch = request.epoch;
    this.handlers = request.handlers;
    const { backoff, quarantine } = host.settings;
    this.policy = new ReconnectPolicy(backoff, quarantine, host.clock, host.random);
    this.baileysLog = host.baileysLogger.child({ sessionId: request.sessionId });
  }

  linkedNumber(): string | undefined {
    return this.number;
  }

  isOpen(): boolean {
    return !this.closed && !this.fenced && this.state === 'connected' && this.sock !== undefined && this.sock.ws?.isOpen !== false;
  }

  /** The last state emitted (diagnostics; not part of the port). */
  currentState(): TransportSessionState {
    return this.state;
  }

  /** Loads auth state (errors propagate to open()), emits `connecting` and starts the first connect. */
  async start(): Promise<void> {
    this.auth = await SessionAuthState.load({
      store: this.host.authStore,
      sessionId: this.sessionId,
      epoch: this.epoch,
      logger: this.baileysLog,
      onWriteError: (e, what) => this.onWriteError(e, what),
    });
    if (this.auth.registered()) this.number = numberOf(this.auth.creds.me?.id);
    await this.tasks.enqueue(() => this.emit('connecting', {}));
    void this.connect();
  }

  async send(request: SendRequest): Promise<SendResult> {
    if (this.closed) throw new AppError('TRANSPORT.DISCONNECTED', 'session is closed', { retryable: true });
    if (this.fenced) throw new AppError('TRANSPORT.DISCONNECTED', 'session lost its shard lease', { retryable: true });
    if (this.state !== 'connected') throw stateError(this.state);
    const sock = this.sock;
    if (!sock || sock.ws?.isOpen === false) {
      throw new AppError('TRANSPORT.DISCONNECTED', 'connection is not open', { retryable: true });
    }
    const to = request?.to;
    toJid(to); // PHONE.INVALID unless E.164 digits
    if (typeof request.text !== 'string') throw new AppError('VALIDATION.INVALID_PARAM', 'text must be a string');
    if (typeof request.clientMessageId !== 'string' || request.clientMessageId === '') {
      throw new AppError('VALIDATION.INVALID_PARAM', 'clientMessageId is required');
    }
    const jid = await this.recipientJid(sock, to);
    try {
      const sent = await sock.sendMessage(jid, { text: request.text }, { messageId: request.clientMessageId });
      const waMessageId = sent?.key?.id ?? request.clientMessageId;
      this.host.log.debug({ sessionId: this.sessionId, to: maskPhone(to), waMessageId }, 'baileys: sent');
      return { waMessageId };
    } catch (e) {
      const error = mapSendError(e, {
        rateLimitRetryMs: this.host.settings.rateLimitRetryMs,
        ...(this.reachoutLockedUntil ? { reachoutLockedUntil: this.reachoutLockedUntil } : {}),
      });
      this.host.log.warn(
        { sessionId: this.sessionId, to: maskPhone(to), code: error.code, waErrorCode: error.details.waErrorCode },
        'baileys: send failed',
      );
      throw error;
    }
  }

  /** Baileys cannot tell whether an interrupted send left the phone. */
  async wasSent(): Promise<boolean | undefined> {
    return undefined;
  }

  /** Ends the socket without logging out; the auth state stays for the next holder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    this.freeSlot();
    this.endSocket();
    this.host.detach(this);
    if (this.auth) {
      await this.auth.flushed(); // pending creds writes land before a new holder reads them
      this.auth.dispose();
    }
  }

  /** While a QR is shown: Baileys' pairing code for `phone` (typed on the phone instead of a scan). */
  async requestPairingCode(phone: string): Promise<string> {
    const number = normalizePhone(phone);
    const sock = this.sock;
    if (this.closed || this.stopped || this.state !== 'pending_qr' || !sock) {
      throw new AppError('SESSION.QR_NOT_AVAILABLE', 'the session is not waiting for a link');
    }
    if (!sock.requestPairingCode) throw new AppError('SESSION.PAIRING_UNSUPPORTED', 'this socket cannot link by pairing code');
    return withTimeout(sock.requestPairingCode(number), 10_000);
  }

  /** Unlinks the device on WhatsApp (when connected), wipes the auth state, emits `logged_out`, closes. */
  async logout(): Promise<void> {
    if (this.closed) return;
    this.stopped = true; // the 401 close that Baileys' logout triggers must not reconnect
    this.stopTimers();
    const sock = this.sock;
    if (sock && this.state === 'connected' && sock.ws?.isOpen !== false) {
      try {
        await withTimeout(sock.logout(), 5_000);
      } catch (e) {
        this.host.log.warn({ sessionId: this.sessionId, err: describe(e) }, 'baileys: logout request failed');
      }
    }
    this.endSocket();
    const done = this.tasks.enqueue(async () => {
      await this.loggedOut();
      await this.close();
    });
    // Called from inside a handler the queue is busy with that handler: do not wait on it.
    if (!this.tasks.running) await done;
    else done.catch(() => undefined);
  }

  // --- connecting -------------------------------------------------------

  private async connect(): Promise<void> {
    if (this.closed || this.stopped || !this.auth) return;
    const gen = ++this.connectGen;
    const release = await this.host.limiter.acquire();
    if (this.closed || this.stopped || gen !== this.connectGen) {
      release();
      return;
    }
    this.releaseSlot = release;
    this.slotTimer = this.host.timers.setTimeout(() => this.freeSlot(), this.host.settings.connectSlotTimeoutMs);
    this.qrCount = 0;
    let sock: BaileysSocketLike;
    try {
      sock = this.host.makeSocket(this.socketConfig(this.auth));
    } catch (e) {
      this.freeSlot();
      this.host.log.warn({ sessionId: this.sessionId, err: describe(e) }, 'baileys: socket creation failed');
      this.tasks.fire(() => this.failed(undefined));
      return;
    }
    this.sock = sock;
    this.unsubscribe = sock.ev.process((events) => {
      this.tasks.fire(() => this.onEvents(sock, events));
    });
  }

  private socketConfig(auth: SessionAuthState): UserFacingSocketConfig {
    const { socketConfig, qrTimeoutMs } = this.host.settings;
    return {
      ...socketConfig,
      ...(qrTimeoutMs !== undefined ? { qrTimeout: qrTimeoutMs } : {}),
      auth: auth.state,
      logger: this.baileysLog,
      syncFullHistory: false,
      markOnlineOnConnect: false,
    };
  }

  private freeSlot(): void {
    if (this.slotTimer !== undefined) {
      this.host.timers.clearTimeout(this.slotTimer);
      this.slotTimer = undefined;
    }
    const release = this.releaseSlot;
    this.releaseSlot = undefined;
    release?.();
  }

  /** Forgets the current socket and ends it (its close event is no longer listened to). */
  private endSocket(): void {
    const sock = this.sock;
    this.detachSocket();
    if (!sock) return;
    Promise.resolve()
      .then(() => sock.end(undefined))
      .catch(() => undefined);
  }

  private detachSocket(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.sock = undefined;
  }

  // --- events -----------------------------------------------------------

  private async onEvents(sock: BaileysSocketLike, events: EventBatch): Promise<void> {
    if (sock !== this.sock) return; // a socket we already gave up on
    const creds = events['creds.update'];
    if (creds) await this.persistCreds(creds);
    if (sock !== this.sock) return;
    const upsert = events['messages.upsert'];
    if (upsert) await this.onUpsert(sock, upsert);
    const updates = events['messages.update'];
    if (updates) await this.onMessageUpdates(updates);
    const userReceipts = events['message-receipt.update'];
    if (userReceipts) {
      for (const r of receiptsFromUserReceipts(userReceipts)) await this.tasks.safe(() => this.handlers.onReceipt(r.waMessageId, r.status));
    }
    const conn = events['connection.update'];
    if (conn && sock === this.sock) await this.onConnectionUpdate(sock, conn);
  }

  private async persistCreds(update: BaileysEventMap['creds.update']): Promise<void> {
    const auth = this.auth;
    if (!auth) return;
    try {
      await auth.saveCreds(update);
    } catch (e) {
      // a refused (stale) write fences the session through onWriteError
      if (!isStale(e)) this.host.log.warn({ sessionId: this.sessionId, err: describe(e) }, 'baileys: saving creds failed');
    }
  }

  private onWriteError(e: unknown, what: 'creds' | 'keys' | 'wipe'): void {
    if (!isStale(e)) {
      this.host.log.warn({ sessionId: this.sessionId, what, err: describe(e) }, 'baileys: auth state write failed');
      return;
    }
    this.host.log.warn({ sessionId: this.sessionId, what }, 'baileys: auth state write refused (stale epoch); stopping');
    this.tasks.fire(() => this.onFenced());
  }

  private async onFenced(): Promise<void> {
    if (this.closed || this.fenced) return;
    this.fenced = true;
    const wasStopped = this.stopped;
    this.stopped = true;
    this.stopTimers();
    this.freeSlot();
    this.endSocket();
    if (!wasStopped) await this.emit('disconnected', FENCED);
  }

  private async onConnectionUpdate(sock: BaileysSocketLike, update: Partial<ConnectionState>): Promise<void> {
    const lock = update.reachoutTimeLock;
    if (lock) {
      const ends = lock.timeEnforcementEnds;
      this.reachoutLockedUntil = lock.isActive && ends instanceof Date ? ends.getTime() : undefined;
    }
    if (typeof update.qr === 'string' && update.qr !== '') await this.onQr(update.qr);
    if (update.connection === 'open') await this.onOpen(sock);
    else if (update.connection === 'close') await this.onClose(update.lastDisconnect?.error);
  }

  private async onQr(qr: string): Promise<void> {
    if (this.stopped || this.closed) return;
    this.qrCount += 1;
    this.freeSlot(); // waiting for a human; let the next session connect
    const ttl = this.host.settings.qrTimeoutMs ?? (this.qrCount === 1 ? 60_000 : 20_000);
    const expiresAt = new Date(this.host.clock.now() + ttl);
    if (this.state !== 'pending_qr') await this.emit('pending_qr', {});
    const onQr = this.handlers.onQr;
    if (onQr) await this.tasks.safe(() => onQr.call(this.handlers, qr, expiresAt));
  }

  private async onOpen(sock: BaileysSocketLike): Promise<void> {
    if (this.stopped) return;
    this.freeSlot();
    this.policy.succeeded();
    this.qrCount = 0;
    const number = numberOf(sock.user?.id ?? this.auth?.creds.me?.id);
    if (number) this.number = number;
    this.host.log.debug({ sessionId: this.sessionId, number: number ? maskPhone(number) : undefined }, 'baileys: open');
    await this.emit('connected', number ? { number } : {});
  }

  /** The reconnect policy, by the statusCode Baileys closed with. */
  private async onClose(error: unknown): Promise<void> {
    this.freeSlot();
    this.detachSocket(); // a closed Baileys socket is dead; reconnecting means a new one
    if (this.closed || this.stopped) return;
    const code = disconnectCode(error);
    this.host.log.debug({ sessionId: this.sessionId, code }, 'baileys: connection closed');
    switch (code) {
      case 401: // loggedOut: the phone removed this device
        this.stopped = true;
        this.stopTimers();
        return this.loggedOut();
      case 403: // forbidden: banned
        return this.terminal('banned', BANNED);
      case 440: // connectionReplaced: another client took the session; never fight it
        return this.terminal('replaced', REPLACED);
      case 515: // restartRequired (e.g. right after pairing): a new socket, at once
        if (this.policy.fail()) return this.quarantine();
        if (this.state !== 'connecting') await this.emit('connecting', { code: '515' });
        void this.connect();
        return;
      case 408:
        // timedOut with no linked creds after showing QRs: the refs ran out and
        // nobody scanned. Without any QR shown it is a plain network timeout.
        if (!this.auth?.registered() && this.qrCount > 0) return this.terminal('qr_expired', QR_EXPIRED);
        return this.failed(code);
      default:
        return this.failed(code);
    }
  }

  private async failed(code: number | undefined): Promise<void> {
    if (this.closed || this.stopped) return;
    if (this.policy.fail()) return this.quarantine();
    await this.emit('disconnected', {
      code: code === undefined ? 'CONNECTION_FAILED' : String(code),
      message: 'connection closed; reconnecting',
    });
    const delay = this.policy.nextDelayMs();
    this.host.log.debug({ sessionId: this.sessionId, delayMs: delay }, 'baileys: reconnect scheduled');
    this.retryTimer = this.host.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.tasks.fire(async () => {
        if (this.closed || this.stopped) return;
        await this.emit('connecting', {});
        void this.connect();
      });
    }, delay);
  }

  private quarantine(): Promise<void> {
    const n = this.policy.failuresInWindow();
    return this.terminal('quarantined', {
      code: 'QUARANTINED',
      message: `${n} failed connections without a successful open; not reconnecting`,
    });
  }

  private async loggedOut(): Promise<void> {
    this.number = undefined;
    this.recipients.clear();
    try {
      await this.auth?.wipe();
    } catch (e) {
      if (!isStale(e)) this.host.log.warn({ sessionId: this.sessionId, err: describe(e) }, 'baileys: wiping auth state failed');
    }
    await this.emit('logged_out', LOGGED_OUT);
  }

  private async terminal(state: TransportSessionState, info: TransportStateInfo): Promise<void> {
    this.stopped = true;
    this.stopTimers();
    this.freeSlot();
    this.endSocket();
    await this.emit(state, info);
  }

  private async onUpsert(sock: BaileysSocketLike, upsert: BaileysEventMap['messages.upsert']): Promise<void> {
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
      this.host.log.debug(
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

  private async onMessageUpdates(updates: BaileysEventMap['messages.update']): Promise<void> {
    for (const r of receiptsFromUpdates(updates)) {
      await this.tasks.safe(() => this.handlers.onReceipt(r.waMessageId, r.status));
    }
    for (const failure of sendErrorsFromUpdates(updates)) {
      // Accepted by the server, then refused (463: restricted / no privacy token for a new contact).
      this.host.log.warn(
        { sessionId: this.sessionId, waMessageId: failure.waMessageId, waErrorCode: failure.code },
        'baileys: message refused after send',
      );
    }
  }

  // --- sending helpers ---------------------------------------------------

  /**
   * Brazilian mobiles may be registered with or without the ninth digit; when
   * the socket can ask (`onWhatsApp`), the registered form is used and cached.
   */
  private async recipientJid(sock: BaileysSocketLike, to: string): Promise<string> {
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
      this.host.log.debug({ sessionId: this.sessionId, err: describe(e) }, 'baileys: recipient lookup failed');
    }
    return toJid(to);
  }

  // --- plumbing ----------------------------------------------------------

  private async emit(state: TransportSessionState, info: TransportStateInfo): Promise<void> {
    if (this.closed) return;
    this.state = state;
    this.host.log.debug({ sessionId: this.sessionId, state, code: info.code }, 'baileys: state');
    await this.tasks.safe(() => this.handlers.onState(state, info));
  }




  private stopTimers(): void {
    if (this.retryTimer !== undefined) {
      this.host.timers.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }
}

function stateError(state: TransportSessionState): AppError {
  switch (state) {
    case 'logged_out':
      return new AppError('SESSION.LOGGED_OUT', 'session was logged out');
    case 'banned':
      return new AppError('SESSION.BANNED', 'session number is banned');
    case 'pending_qr':
    case 'qr_expired':
      return new AppError('SESSION.NOT_LINKED', 'session is not linked');
    default:
      return new AppError('TRANSPORT.DISCONNECTED', `session is ${state}`, { retryable: true });
  }
}

/** E.164 digits of our own JID (`5511…:12@s.whatsapp.net` -> `5511…`). */
function numberOf(jid: string | null | undefined): string | undefined {
  if (!jid) return undefined;
  try {
    return jidToPhone(jidNormalizedUser(jid));
  } catch {
    return undefined;
  }
}

function isStale(e: unknown): boolean {
  return AppError.is(e) && e.code === 'SHARD.STALE_EPOCH';
}

function ownedBy(sessionId: unknown, ownerChatId: unknown): boolean {
  if (typeof sessionId !== 'string' || typeof ownerChatId !== 'bigint') return false;
  try {
    return sessionIdFor(ownerChatId) === sessionId;
  } catch {
    return false;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Log-safe: codes and class names only (Baileys messages can carry JIDs). */
function describe(e: unknown): string {
  if (AppError.is(e)) return e.code;
  const code = disconnectCode(e);
  if (code !== undefined) return `${e instanceof Error ? e.name : 'error'}(${code})`;
  return e instanceof Error ? e.name : 'unknown error';
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new AppError('CONFIG.INVALID', `${name} must be a positive number`);
  return Math.floor(v);
}
