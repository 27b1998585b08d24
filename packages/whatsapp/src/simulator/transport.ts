import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, type OpenSessionRequest, type TransportSession, type WhatsappTransport } from '@wa-dispatch/core';
import { ownedBy } from '../session-states.js';
import { SimulatorControl } from './control.js';
import { parseEvent } from './events.js';
import { closeQuietly, connectSimulatorRedis, type SimulatorRedis } from './redis.js';
import type { SessionHost, Settings } from './session-host.js';
import { SimulatorSession } from './simulator-session.js';

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

interface ChannelEntry {
  sessions: Set<SimulatorSession>;
  ready: Promise<unknown>;
}

const SILENT: SimulatorLogger = { debug: () => undefined, warn: () => undefined };

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
