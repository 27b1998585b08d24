import { randomBytes } from 'node:crypto';
import { SessionTasks } from '../session-tasks.js';
import type { Redis } from 'ioredis';
import {
  AppError,
  canonicalPhone,
  maskPhone,
  normalizePhone,
  sessionIdFor,
  toJid,
  type InboundMessage,
  type OpenSessionRequest,
  type SendRequest,
  type SendResult,
  type TransportSession,
  type TransportSessionHandlers,
  type TransportSessionState,
  type TransportStateInfo,
  type WhatsappTransport,
} from '@wa-dispatch/core';
import { SimulatorControl } from './control.js';
import type { SimulatorKeys } from './keys.js';
import { closeQuietly, connectSimulatorRedis, newQrValue, newSocketId, newWaMessageId, type SimulatorRedis } from './redis.js';
import { replyStrings, runScript } from './scripts.js';

/** pino-compatible; the simulator never logs message text or full phone numbers. */
export interface SimulatorLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SimulatorTransportOptions {
  redis: SimulatorRedis;
  /** Key prefix of the simulated WhatsApp world (default `wad-sim`); not the dispatcher's. */
  prefix?: string;
  /** QR lifetime before a new one is shown (default 20 s). */
  qrRotateMs?: number;
  /** QRs shown before the session gives up with `qr_expired` (default 5). */
  qrMaxAttempts?: number;
  /** Delay of the automatic `delivered` receipt after a send (default 50 ms). */
  ackDelayMs?: number;
  /** Also emit `read` receipts (default false). */
  autoRead?: boolean;
  /** Delay of `read` after `delivered` (default 50 ms). */
  readDelayMs?: number;
  /** Delay before a dropped socket reconnects (default 100 ms). */
  reconnectDelayMs?: number;
  logger?: SimulatorLogger;
  /** Recorded on every send; default random. */
  instanceId?: string;
}

type SimEvent =
  | { type: 'linked'; number: string }
  | { type: 'logged_out' }
  | { type: 'banned' }
  | { type: 'disconnected' }
  | { type: 'claimed'; socket: string }
  | { type: 'inbound' }
  | { type: 'receipt'; waMessageId: string; status: 'delivered' | 'read' };

interface Settings {
  qrRotateMs: number;
  qrMaxAttempts: number;
  ackDelayMs: number;
  autoRead: boolean;
  readDelayMs: number;
  reconnectDelayMs: number;
}

interface SessionHost {
  readonly redis: Redis;
  readonly keys: SimulatorKeys;
  readonly control: SimulatorControl;
  readonly settings: Settings;
  readonly log: SimulatorLogger;
  readonly instanceId: string;
  detach(session: SimulatorSession): Promise<void>;
}

interface ChannelEntry {
  sessions: Set<SimulatorSession>;
  ready: Promise<unknown>;
}

const SILENT: SimulatorLogger = { debug: () => undefined, warn: () => undefined };

const TERMINAL: ReadonlySet<TransportSessionState> = new Set(['logged_out', 'banned', 'replaced', 'qr_expired']);

/**
 * WhatsappTransport over the Redis-backed simulator. One command connection
 * and one subscriber connection per instance, whatever the number of open
 * sessions; events are multiplexed to sessions by channel (one per session id).
 */
export class SimulatorTransport implements WhatsappTransport {
  readonly kind = 'simulator' as const;
  readonly instanceId: string;
  /** The WhatsApp side of the same simulated world, on this transport's connection. */
  readonly control: SimulatorControl;
  private readonly redis: Redis;
  private readonly ownsRedis: boolean;
  private readonly host: SessionHost;
  private subscriber: Redis | undefined;
  private subscriberReady: Promise<Redis> | undefined;
  private readonly channels = new Map<string, ChannelEntry>();
  private readonly sessions = new Set<SimulatorSession>();
  private stopped = false;

  constructor(options: SimulatorTransportOptions) {
    const conn = connectSimulatorRedis(options.redis);
    this.redis = conn.client;
    this.ownsRedis = conn.owned;
    const control = new SimulatorControl(
      options.prefix === undefined ? { redis: this.redis } : { redis: this.redis, prefix: options.prefix },
    );
    this.control = control;
    this.instanceId = options.instanceId ?? `sim-${randomBytes(6).toString('hex')}`;
    const settings: Settings = {
      qrRotateMs: positive(options.qrRotateMs, 20_000, 'qrRotateMs'),
      qrMaxAttempts: positive(options.qrMaxAttempts, 5, 'qrMaxAttempts'),
      ackDelayMs: nonNegative(options.ackDelayMs, 50, 'ackDelayMs'),
      autoRead: options.autoRead ?? false,
      readDelayMs: nonNegative(options.readDelayMs, 50, 'readDelayMs'),
      reconnectDelayMs: nonNegative(options.reconnectDelayMs, 100, 'reconnectDelayMs'),
    };
    this.host = {
      redis: this.redis,
      keys: control.keys,
      control,
      settings,
      log: options.logger ?? SILENT,
      instanceId: this.instanceId,
      detach: (session) => this.detach(session),
    };
  }

  async open(request: OpenSessionRequest): Promise<TransportSession> {
    if (this.stopped) throw new AppError('TRANSPORT.DISCONNECTED', 'simulator transport is shut down', { retryable: true });
    if (!ownedBy(request.sessionId, request.ownerChatId)) {
      throw new AppError('SESSION.OWNER_MISMATCH', 'session id does not belong to the owner chat id');
    }
    const session = new SimulatorSession(this.host, request);
    this.sessions.add(session);
    try {
      await this.attach(session);
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
    await Promise.allSettled([...this.sessions].map((s) => s.close()));
    await this.subscriberReady?.catch(() => undefined);
    if (this.subscriber) await closeQuietly(this.subscriber);
    this.subscriber = undefined;
    this.subscriberReady = undefined;
    if (this.ownsRedis) await closeQuietly(this.redis);
  }

  /**
   * Connects before the first SUBSCRIBE: ioredis runs its ready check (INFO)
   * on connect, which a connection already in subscriber mode refuses.
   */
  private ensureSubscriber(): Promise<Redis> {
    this.subscriberReady ??= (async () => {
      const sub = this.redis.duplicate({ connectionName: `${this.instanceId}-sub`, lazyConnect: true });
      sub.on('message', (channel: string, message: string) => this.dispatch(channel, message));
      sub.on('error', (err: Error) => this.host.log.warn({ err: err.message }, 'simulator subscriber error'));
      this.subscriber = sub;
      await sub.connect();
      return sub;
    })();
    return this.subscriberReady;
  }

  private async attach(session: SimulatorSession): Promise<void> {
    const channel = this.host.keys.channel(session.sessionId);
    let entry = this.channels.get(channel);
    if (!entry) {
      const ready = this.ensureSubscriber().then((sub) => sub.subscribe(channel));
      entry = { sessions: new Set(), ready };
      this.channels.set(channel, entry);
      ready.catch(() => {
        if (this.channels.get(channel) === entry) this.channels.delete(channel);
      });
    }
    entry.sessions.add(session);
    await entry.ready;
  }

  private async detach(session: SimulatorSession): Promise<void> {
    this.sessions.delete(session);
    const channel = this.host.keys.channel(session.sessionId);
    const entry = this.channels.get(channel);
    if (!entry) return;
    entry.sessions.delete(session);
    if (entry.sessions.size > 0) return;
    this.channels.delete(channel);
    if (this.subscriber) await this.subscriber.unsubscribe(channel).catch(() => undefined);
  }

  private dispatch(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    const event = parseEvent(message);
    if (!event) {
      this.host.log.warn({ channel }, 'simulator: malformed event ignored');
      return;
    }
    for (const session of entry.sessions) session.onEvent(event);
  }
}

class SimulatorSession implements TransportSession {
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
    toJid(to); // PHONE.INVALID unless E.164 digits
    if (typeof request.text !== 'string') throw new AppError('VALIDATION.INVALID_PARAM', 'text must be a string');
    if (typeof request.clientMessageId !== 'string' || request.clientMessageId === '') {
      throw new AppError('VALIDATION.INVALID_PARAM', 'clientMessageId is required');
    }
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
          newWaMessageId(),
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
    await this.terminal('qr_expired', { code: 'QR_EXPIRED', message: 'no QR was scanned in time' });
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

/** How long a pairing code may be typed (WhatsApp's own are short-lived too). */
const PAIRING_CODE_TTL_MS = 60_000;
/** Baileys' pairing-code alphabet: no 0, O, I or U. */
const PAIRING_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';

function newPairingCode(): string {
  let code = '';
  for (const byte of randomBytes(8)) code += PAIRING_ALPHABET[byte % PAIRING_ALPHABET.length];
  return code;
}

const LOGGED_OUT: TransportStateInfo = { code: '401', message: 'logged out from the phone' };
const BANNED: TransportStateInfo = { code: '403', message: 'number banned by WhatsApp' };
const REPLACED: TransportStateInfo = { code: '440', message: 'session replaced by another connection' };

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

function faultError(kind: string, untilMs: number, retryAfterMs: number): AppError {
  const details = { simulated: true };
  switch (kind) {
    case 'rate_limited': {
      const after = untilMs > 0 ? Math.max(0, untilMs - Date.now()) : retryAfterMs;
      return new AppError('TRANSPORT.RATE_LIMITED', 'rate limited by WhatsApp (simulated)', {
        retryable: true,
        details: { ...details, retryAfterMs: after },
      });
    }
    case 'restricted':
      return new AppError('TRANSPORT.RESTRICTED', 'account restricted from sending (simulated)', {
        retryable: true,
        details: { ...details, untilMs },
      });
    case 'reachout_locked':
      return new AppError('TRANSPORT.REACHOUT_LOCKED', 'cannot message new contacts now (simulated 463)', {
        retryable: false,
        details: untilMs > 0 ? { ...details, waErrorCode: 463, untilMs } : { ...details, waErrorCode: 463 },
      });
    default:
      return new AppError('TRANSPORT.SEND_FAILED', 'send failed (simulated transient error)', {
        retryable: true,
        details,
      });
  }
}

function ownedBy(sessionId: unknown, ownerChatId: unknown): boolean {
  if (typeof sessionId !== 'string' || typeof ownerChatId !== 'bigint') return false;
  try {
    return sessionIdFor(ownerChatId) === sessionId;
  } catch {
    return false;
  }
}

function parseEvent(raw: string): SimEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  switch (e.type) {
    case 'linked':
      return typeof e.number === 'string' ? { type: 'linked', number: e.number } : undefined;
    case 'claimed':
      return typeof e.socket === 'string' ? { type: 'claimed', socket: e.socket } : undefined;
    case 'receipt':
      return typeof e.waMessageId === 'string' && (e.status === 'delivered' || e.status === 'read')
        ? { type: 'receipt', waMessageId: e.waMessageId, status: e.status }
        : undefined;
    case 'logged_out':
    case 'banned':
    case 'disconnected':
    case 'inbound':
      return { type: e.type };
    default:
      return undefined;
  }
}

function parseInbound(raw: string): InboundMessage | undefined {
  try {
    const m = JSON.parse(raw) as Record<string, unknown>;
    if (typeof m.waMessageId !== 'string' || typeof m.fromJid !== 'string') return undefined;
    const message: InboundMessage = { waMessageId: m.waMessageId, fromJid: m.fromJid };
    if (typeof m.fromPhone === 'string') message.fromPhone = m.fromPhone;
    if (typeof m.text === 'string') message.text = m.text;
    if (typeof m.quotedWaMessageId === 'string') message.quotedWaMessageId = m.quotedWaMessageId;
    return message;
  } catch {
    return undefined;
  }
}

function describe(e: unknown): string {
  if (AppError.is(e)) return e.code;
  return e instanceof Error ? e.name : 'unknown error';
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new AppError('CONFIG.INVALID', `${name} must be a positive number`);
  return v;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new AppError('CONFIG.INVALID', `${name} must be a non-negative number`);
  return v;
}
