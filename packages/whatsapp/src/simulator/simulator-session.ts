import {
  AppError,
  canonicalPhone,
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
import { parseInbound, type SimEvent } from './events.js';
import { faultError } from './fault-error.js';
import { newPairingCode, PAIRING_CODE_TTL_MS } from './pairing-code.js';
import { newQrValue, newSocketId, newWaMessageId } from './redis.js';
import { replyStrings, runScript } from './scripts.js';
import type { SessionHost } from './session-host.js';

/** States a session never leaves: later events, timers and receipts are ignored. */
const TERMINAL: ReadonlySet<TransportSessionState> = new Set(['logged_out', 'banned', 'replaced', 'qr_expired']);

/** One session against the simulated WhatsApp world in Redis, driven by its channel events. */
export class SimulatorSession implements TransportSession {
  readonly sessionId: string;
  readonly ownerChatId: bigint;
  readonly epoch: bigint;
  readonly socketId = newSocketId();
  private readonly handlers: TransportSessionHandlers;
  private state: TransportSessionState = 'connecting';
  private number: string | undefined;
  private closed = false;
  private readonly tasks: SessionTasks;
  private readonly timers = new Set<NodeJS.Timeout>();
  private qrTimer: NodeJS.Timeout | undefined;
  private qr: string | undefined;
  private qrShown = 0;

  constructor(
    private readonly host: SessionHost,
    request: OpenSessionRequest,
  ) {
    this.sessionId = request.sessionId;
    this.tasks = new SessionTasks({
      isClosed: () => this.closed,
      warn: (what, e) => this.host.log.warn({ sessionId: this.sessionId, err: describe(e) }, `simulator: ${what}`),
    });
    this.ownerChatId = request.ownerChatId;
    this.epoch = request.epoch;
    this.handlers = request.handlers;
  }

  linkedNumber(): string | undefined {
    return this.number;
  }

  isOpen(): boolean {
    return !this.closed && this.state === 'connected';
  }

  /** The last state emitted (for diagnostics; not part of the port). */
  currentState(): TransportSessionState {
    return this.state;
  }

  /** Emits `connecting`, then `connected` when linked, `banned`, or starts the QR flow. */
  start(): Promise<void> {
    return this.tasks.enqueue(async () => {
      await this.emit('connecting', {});
      const [status, number] = await this.claim();
      if (status === 'linked') return this.connected(number);
      if (status === 'banned') return this.terminal('banned', BANNED);
      // Never linked or logged out: no credentials, so WhatsApp shows a QR.
      await this.issueQr();
    });
  }

  async send(request: SendRequest): Promise<SendResult> {
    this.assertCanSend();
    const to = request.to;
    checkSendRequest(to, request);
    const { keys, redis } = this.host;
    const sid = this.sessionId;
    const reply = replyStrings(
      await runScript(
        redis,
        'send',
        [keys.session(sid), keys.faults(sid), keys.msgs(sid), keys.contacts(sid), keys.sent, keys.seq, keys.dups],
        [
          sid,
          this.socketId,
          this.ownerChatId.toString(),
          to,
          canonicalPhone(to),
          request.text,
          request.clientMessageId,
          // like WhatsApp (and the Baileys adapter, which passes it as messageId),
          // the message keeps the id its sender chose
          request.clientMessageId || newWaMessageId(),
          Date.now(),
          this.epoch.toString(),
          this.host.instanceId,
        ],
      ),
    );
    const [result, a = '', b = '', c = ''] = reply;
    switch (result) {
      case 'ok':
        this.host.log.debug({ sessionId: sid, to: maskPhone(to), waMessageId: a }, 'simulator: sent');
        this.scheduleReceipts(a);
        return { waMessageId: a };
      case 'dup':
        this.host.log.debug({ sessionId: sid, waMessageId: a }, 'simulator: duplicate send deduplicated');
        return { waMessageId: a };
      case 'fault':
        throw faultError(a, Number(b), Number(c));
      case 'replaced':
        this.tasks.fire(() => this.terminal('replaced', REPLACED));
        throw new AppError('TRANSPORT.DISCONNECTED', 'session was replaced by another connection', { retryable: true });
      case 'state':
        if (a === 'logged_out') this.tasks.fire(() => this.terminal('logged_out', LOGGED_OUT, true));
        if (a === 'banned') this.tasks.fire(() => this.terminal('banned', BANNED));
        throw stateError(a === 'unlinked' ? 'pending_qr' : (a as TransportSessionState));
      default:
        throw new Error(`unexpected send reply ${String(result)}`);
    }
  }

  async wasSent(clientMessageId: string): Promise<boolean> {
    return (await this.host.redis.hexists(this.host.keys.msgs(this.sessionId), clientMessageId)) === 1;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimers();
    const qr = this.qr;
    this.qr = undefined;
    if (qr !== undefined) await this.clearQr(qr).catch(() => undefined);
    await this.host.detach(this);
  }

  /** While a QR is shown: a code that links `phone` when the phone "types" it (`SimulatorControl.pair`). */
  async requestPairingCode(phone: string): Promise<string> {
    const number = normalizePhone(phone);
    if (this.closed || this.state !== 'pending_qr') {
      throw new AppError('SESSION.QR_NOT_AVAILABLE', 'the session is not waiting for a link');
    }
    const code = newPairingCode();
    await this.host.redis.set(this.host.keys.pairing(code), JSON.stringify({ sessionId: this.sessionId, number }), 'PX', PAIRING_CODE_TTL_MS);
    return code;
  }

  /** Unlinks the session in the simulator, emits `logged_out` (401) and closes. */
  async logout(): Promise<void> {
    await this.host.control.drop(this.sessionId, 'logged_out');
    if (this.closed) return;
    this.stopTimers();
    const done = this.tasks.enqueue(async () => {
      await this.terminal('logged_out', LOGGED_OUT, true);
      await this.close();
    });
    // Called from inside a handler the queue is busy with that handler: do not wait on it.
    if (!this.tasks.running) await done;
    else done.catch(() => undefined);
  }

  /** @internal from the transport's subscriber. */
  onEvent(event: SimEvent): void {
    if (this.closed) return;
    this.tasks.fire(() => this.handle(event));
  }

  private async handle(event: SimEvent): Promise<void> {
    if (TERMINAL.has(this.state)) return;
    switch (event.type) {
      case 'linked': {
        if (this.state !== 'pending_qr') return; // connected already, or a reconnect will see it
        this.stopQrTimer();
        this.qr = undefined; // link.lua removed it
        const [status, number] = await this.claim();
        if (status === 'linked') await this.connected(number);
        return;
      }
      // Events can be older than what this socket last read from Redis (e.g. a
      // logout published between subscribing and claiming), so the ones that
      // end the session are checked against the stored state first.
      case 'logged_out': {
        if (this.state === 'pending_qr') return;
        const { status, socket } = await this.stored();
        if (status !== 'linked' || socket !== this.socketId) await this.terminal('logged_out', LOGGED_OUT, true);
        return;
      }
      case 'banned': {
        if (this.state === 'pending_qr') return;
        const { status } = await this.stored();
        if (status === 'banned') await this.terminal('banned', BANNED);
        return;
      }
      case 'claimed': {
        if (event.socket === this.socketId || this.state === 'pending_qr') return;
        const { socket } = await this.stored();
        if (socket !== this.socketId) await this.terminal('replaced', REPLACED);
        return;
      }
      case 'disconnected':
        if (this.state !== 'connected') return;
        await this.emit('disconnected', { code: '428', message: 'connection closed' });
        this.later(this.host.settings.reconnectDelayMs, () => this.tasks.fire(() => this.reconnect()));
        return;
      case 'inbound':
        if (this.state === 'connected') await this.drainInbox();
        return;
      case 'receipt':
        await this.tasks.safe(() => this.handlers.onReceipt(event.waMessageId, event.status));
        return;
    }
  }

  private async reconnect(): Promise<void> {
    if (this.state !== 'disconnected') return;
    await this.emit('connecting', {});
    const [status, number] = await this.claim();
    if (status === 'linked') return this.connected(number);
    if (status === 'banned') return this.terminal('banned', BANNED);
    return this.terminal('logged_out', LOGGED_OUT, true);
  }

  private async connected(number: string): Promise<void> {
    this.number = number;
    this.host.log.debug({ sessionId: this.sessionId, number: maskPhone(number) }, 'simulator: connected');
    await this.emit('connected', { number });
    await this.drainInbox();
  }

  private async stored(): Promise<{ status: string | null; socket: string | null }> {
    const [status = null, socket = null] = await this.host.redis.hmget(
      this.host.keys.session(this.sessionId),
      'status',
      'socket',
    );
    return { status, socket };
  }

  private async claim(): Promise<[string, string]> {
    const { keys, redis } = this.host;
    const [status = 'unlinked', number = ''] = replyStrings(
      await runScript(redis, 'claim', [keys.session(this.sessionId)], [this.socketId, keys.channel(this.sessionId)]),
    );
    return [status, number];
  }

  private async issueQr(): Promise<void> {
    const { keys, redis, settings } = this.host;
    const qr = newQrValue();
    const expiresAt = Date.now() + settings.qrRotateMs;
    const qrKeys = [keys.session(this.sessionId), keys.qr(qr)];
    if (this.qr !== undefined) qrKeys.push(keys.qr(this.qr));
    const [result = '', number = ''] = replyStrings(
      await runScript(redis, 'qr_issue', qrKeys, [this.sessionId, qr, settings.qrRotateMs, expiresAt]),
    );
    if (this.closed) {
      await this.clearQr(qr);
      return;
    }
    if (result === 'linked' || result === 'banned') {
      // Linked by someone meanwhile (an event we may not have seen yet).
      this.qr = undefined;
      const [status, claimed] = await this.claim();
      if (status === 'linked') return this.connected(claimed || number);
      if (status === 'banned') return this.terminal('banned', BANNED);
      return;
    }
    this.qr = qr;
    this.qrShown += 1;
    if (this.state !== 'pending_qr') await this.emit('pending_qr', {});
    this.qrTimer = this.later(settings.qrRotateMs, () => this.tasks.fire(() => this.onQrTimeout()));
    const onQr = this.handlers.onQr;
    if (onQr) await this.tasks.safe(() => onQr.call(this.handlers, qr, new Date(expiresAt)));
  }

  private async onQrTimeout(): Promise<void> {
    if (this.state !== 'pending_qr') return;
    if (this.qrShown < this.host.settings.qrMaxAttempts) return this.issueQr();
    const qr = this.qr;
    this.qr = undefined;
    if (qr !== undefined) await this.clearQr(qr);
    await this.terminal('qr_expired', QR_EXPIRED);
  }

  private async clearQr(qr: string): Promise<void> {
    const { keys, redis } = this.host;
    await runScript(redis, 'qr_clear', [keys.session(this.sessionId), keys.qr(qr)], [qr]);
  }

  private async drainInbox(): Promise<void> {
    const key = this.host.keys.inbox(this.sessionId);
    while (!this.closed && this.state === 'connected') {
      const batch = await this.host.redis.lpop(key, 20);
      if (!batch || batch.length === 0) return;
      for (const raw of batch) {
        const message = parseInbound(raw);
        if (message) await this.tasks.safe(() => this.handlers.onInbound(message));
      }
    }
  }

  private scheduleReceipts(waMessageId: string): void {
    const { ackDelayMs, autoRead, readDelayMs } = this.host.settings;
    this.later(ackDelayMs, () =>
      this.tasks.fire(async () => {
        if (TERMINAL.has(this.state)) return;
        await this.tasks.safe(() => this.handlers.onReceipt(waMessageId, 'delivered'));
        if (autoRead) {
          this.later(readDelayMs, () =>
            this.tasks.fire(async () => {
              if (TERMINAL.has(this.state)) return;
              await this.tasks.safe(() => this.handlers.onReceipt(waMessageId, 'read'));
            }),
          );
        }
      }),
    );
  }

  private async terminal(state: TransportSessionState, info: TransportStateInfo, forgetNumber = false): Promise<void> {
    if (TERMINAL.has(this.state)) return;
    this.stopTimers();
    if (this.qr !== undefined) {
      const qr = this.qr;
      this.qr = undefined;
      await this.clearQr(qr).catch(() => undefined);
    }
    if (forgetNumber) this.number = undefined;
    await this.emit(state, info);
  }

  private assertCanSend(): void {
    if (this.closed) {
      throw new AppError('TRANSPORT.DISCONNECTED', 'session is closed', { retryable: true });
    }
    if (this.state !== 'connected') throw stateError(this.state);
  }

  private async emit(state: TransportSessionState, info: TransportStateInfo): Promise<void> {
    if (this.closed) return;
    this.state = state;
    this.host.log.debug({ sessionId: this.sessionId, state, code: info.code }, 'simulator: state');
    await this.tasks.safe(() => this.handlers.onState(state, info));
  }

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
    return timer;
  }

  private stopQrTimer(): void {
    if (this.qrTimer === undefined) return;
    clearTimeout(this.qrTimer);
    this.timers.delete(this.qrTimer);
    this.qrTimer = undefined;
  }

  private stopTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.qrTimer = undefined;
  }
}

/** Log-safe: codes and class names only. */
function describe(e: unknown): string {
  if (AppError.is(e)) return e.code;
  return e instanceof Error ? e.name : 'unknown error';
}
