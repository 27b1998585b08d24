import type { BaileysEventMap, ConnectionState } from '@whiskeysockets/baileys';
import {
  AppError,
  maskPhone,
  normalizePhone,
  type OpenSessionRequest,
  type SendRequest,
  type SendResult,
  type TransportSession,
  type TransportSessionHandlers,
  type TransportSessionState,
  type TransportStateInfo,
} from '@wa-dispatch/core';
import { SessionTasks } from '../session-tasks.js';
import { BANNED, LOGGED_OUT, QR_EXPIRED, REPLACED, checkSendRequest, stateError } from '../session-states.js';
import { SessionAuthState, type BaileysLogger } from './auth-state.js';
import { ConnectSlot } from './connect-slot.js';
import { closeOutcome } from './disconnect-policy.js';
import { disconnectCode, mapSendError } from './mapping.js';
import { MessageRelay } from './message-relay.js';
import { RecipientResolver } from './recipient-resolver.js';
import { ReconnectPolicy } from './reconnect-policy.js';
import type { SessionHost } from './session-host.js';
import { describe, isStale, numberOf, socketConfigFor, withTimeout } from './session-helpers.js';
import type { BaileysSocketLike, EventBatch } from './socket.js';

const FENCED: TransportStateInfo = { code: 'SHARD.STALE_EPOCH', message: 'lease lost: auth state belongs to a newer holder' };

/** One WhatsApp Web socket at a time for one session, reconnecting by {@link ReconnectPolicy}. */
export class BaileysSession implements TransportSession {
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
  private readonly slot: ConnectSlot;
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
  private readonly recipients: RecipientResolver;
  private readonly relay: MessageRelay;
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
    this.slot = new ConnectSlot(host.timers, host.settings.connectSlotTimeoutMs);
    this.recipients = new RecipientResolver(request.sessionId, host.log);
    this.relay = new MessageRelay(request.sessionId, host.log, this.tasks, request.handlers);
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
    checkSendRequest(to, request);
    const jid = await this.recipients.jidFor(sock, to);
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
    this.slot.free();
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
    this.slot.hold(release);
    this.qrCount = 0;
    let sock: BaileysSocketLike;
    try {
      sock = this.host.makeSocket(socketConfigFor(this.host.settings, this.auth, this.baileysLog));
    } catch (e) {
      this.slot.free();
      this.host.log.warn({ sessionId: this.sessionId, err: describe(e) }, 'baileys: socket creation failed');
      this.tasks.fire(() => this.failed(undefined));
      return;
    }
    this.sock = sock;
    this.unsubscribe = sock.ev.process((events) => {
      this.tasks.fire(() => this.onEvents(sock, events));
    });
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
    if (upsert) await this.relay.upsert(sock, upsert);
    const updates = events['messages.update'];
    if (updates) await this.relay.messageUpdates(updates);
    const userReceipts = events['message-receipt.update'];
    if (userReceipts) await this.relay.userReceipts(userReceipts);
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
    this.slot.free();
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
    this.slot.free(); // waiting for a human; let the next session connect
    const ttl = this.host.settings.qrTimeoutMs ?? (this.qrCount === 1 ? 60_000 : 20_000);
    const expiresAt = new Date(this.host.clock.now() + ttl);
    if (this.state !== 'pending_qr') await this.emit('pending_qr', {});
    const onQr = this.handlers.onQr;
    if (onQr) await this.tasks.safe(() => onQr.call(this.handlers, qr, expiresAt));
  }

  private async onOpen(sock: BaileysSocketLike): Promise<void> {
    if (this.stopped) return;
    this.slot.free();
    this.policy.succeeded();
    this.qrCount = 0;
    const number = numberOf(sock.user?.id ?? this.auth?.creds.me?.id);
    if (number) this.number = number;
    this.host.log.debug({ sessionId: this.sessionId, number: number ? maskPhone(number) : undefined }, 'baileys: open');
    await this.emit('connected', number ? { number } : {});
  }

  /** Acts on {@link closeOutcome} for the statusCode Baileys closed with. */
  private async onClose(error: unknown): Promise<void> {
    this.slot.free();
    this.detachSocket(); // a closed Baileys socket is dead; reconnecting means a new one
    if (this.closed || this.stopped) return;
    const code = disconnectCode(error);
    this.host.log.debug({ sessionId: this.sessionId, code }, 'baileys: connection closed');
    switch (closeOutcome(code, () => !this.auth?.registered() && this.qrCount > 0)) {
      case 'logged_out':
        this.stopped = true;
        this.stopTimers();
        return this.loggedOut();
      case 'banned':
        return this.terminal('banned', BANNED);
      case 'replaced':
        return this.terminal('replaced', REPLACED);
      case 'restart':
        if (this.policy.fail()) return this.quarantine();
        if (this.state !== 'connecting') await this.emit('connecting', { code: '515' });
        void this.connect();
        return;
      case 'qr_expired':
        return this.terminal('qr_expired', QR_EXPIRED);
      case 'retry':
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
    this.slot.free();
    this.endSocket();
    await this.emit(state, info);
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
