import type { Redis } from 'ioredis';
import { AppError, canonicalPhone, normalizePhone, parseSessionId, toJid } from '@wa-dispatch/core';
import { DEFAULT_SIMULATOR_PREFIX, simulatorKeys, type SimulatorKeys } from './keys.js';
import { closeQuietly, connectSimulatorRedis, newInboundMessageId, newSocketId, type SimulatorRedis } from './redis.js';
import { replyStrings, runScript } from './scripts.js';

export interface SimulatorControlOptions {
  redis: SimulatorRedis;
  /** Key prefix of the simulated WhatsApp world (default `wad-sim`). */
  prefix?: string;
}

export type SimulatorSessionStatus = 'unlinked' | 'linked' | 'logged_out' | 'banned';

export interface SimulatorSessionInfo {
  sessionId: string;
  status: SimulatorSessionStatus;
  number?: string;
}

export type SimulatedFaultKind = 'transient' | 'rate_limited' | 'restricted' | 'reachout_locked';

export interface FailNextSendsOptions {
  /**
   * End of the condition (ms since epoch): reported in the error (`untilMs`,
   * or `retryAfterMs` for rate_limited), and the fault lapses by itself then.
   * Default for `restricted`: one hour from now.
   */
  untilMs?: number;
  /** rate_limited without `untilMs`: the `retryAfterMs` to report (default 1000). */
  retryAfterMs?: number;
}

export interface SimulatedInbound {
  fromPhone: string;
  text: string;
  quotedWaMessageId?: string;
}

/** One message as the simulated WhatsApp recorded it. */
export interface SimulatedSend {
  seq: number;
  /** ms since epoch */
  at: number;
  sessionId: string;
  ownerChatId: string;
  /** The session's linked number when it sent. */
  fromNumber: string;
  to: string;
  text: string;
  clientMessageId: string;
  waMessageId: string;
  /** Lease epoch the sending session was opened under. */
  epoch: string;
  /** `SimulatorTransport.instanceId` of the sending process. */
  instanceId: string;
}

export interface SentFilter {
  sessionId?: string;
  ownerChatId?: bigint | string;
  fromNumber?: string;
  to?: string;
  clientMessageId?: string;
  /** Only records with seq greater than this. */
  afterSeq?: number;
}

const FAULT_KINDS: ReadonlySet<string> = new Set(['transient', 'rate_limited', 'restricted', 'reachout_locked']);
const RESTRICTED_DEFAULT_MS = 60 * 60 * 1000;

/**
 * The "WhatsApp side" of the simulator: what phones, WhatsApp's servers and
 * contacts do to sessions. Used by the CLI, tests and SimulatorTransport;
 * any number of processes share one simulated world through Redis.
 */
export class SimulatorControl {
  readonly prefix: string;
  /** @internal */
  readonly keys: SimulatorKeys;
  /** @internal */
  readonly redis: Redis;
  private readonly owned: boolean;

  constructor(options: SimulatorControlOptions) {
    this.prefix = options.prefix ?? DEFAULT_SIMULATOR_PREFIX;
    this.keys = simulatorKeys(this.prefix);
    const conn = connectSimulatorRedis(options.redis);
    this.redis = conn.client;
    this.owned = conn.owned;
  }

  /**
   * A simulated QR scan by the phone `phoneDigits`. Idempotent for the same
   * number; SESSION.NUMBER_TAKEN if another session holds the number,
   * SESSION.ALREADY_LINKED if this one is linked to another number (log out first).
   */
  async link(sessionId: string, phoneDigits: string): Promise<void> {
    await this.linkWith(checkSessionId(sessionId), phoneDigits, '');
  }

  /**
   * Links the session whose live QR is `qrValue`; SESSION.QR_NOT_AVAILABLE if none is.
   * `companion`: the phone links this session although its number is linked to
   * another one (real WhatsApp allows several linked devices per phone), so the
   * dispatcher's own "one number, one tenant" rule can be tested.
   */
  async scan(qrValue: string, phoneDigits: string, opts: { companion?: boolean } = {}): Promise<{ sessionId: string }> {
    if (typeof qrValue !== 'string' || qrValue === '') throw qrNotAvailable();
    const number = normalizePhone(phoneDigits);
    const sessionId = await this.redis.get(this.keys.qr(qrValue));
    if (sessionId === null) throw qrNotAvailable();
    await this.linkWith(sessionId, number, qrValue, opts.companion === true);
    return { sessionId };
  }

  /**
   * The phone types a pairing code the session handed out
   * (`requestPairingCode`): links that session to the code's number, like a
   * scan. SESSION.QR_NOT_AVAILABLE for an unknown, used or expired code.
   */
  async pair(code: string): Promise<{ sessionId: string }> {
    const normal = typeof code === 'string' ? code.toUpperCase().replace(/[-\s]/g, '') : '';
    if (normal === '') throw qrNotAvailable();
    const key = this.keys.pairing(normal);
    const [[, raw]] = ((await this.redis.multi().get(key).del(key).exec()) ?? [[null, null]]) as [[unknown, string | null]];
    if (typeof raw !== 'string') throw new AppError('SESSION.QR_NOT_AVAILABLE', 'pairing code is unknown or expired');
    const { sessionId, number } = JSON.parse(raw) as { sessionId: string; number: string };
    await this.linkWith(checkSessionId(sessionId), number, '');
    return { sessionId };
  }

  /** The QR currently shown for the session, if an open transport session shows one. */
  async currentQr(sessionId: string): Promise<string | undefined> {
    const qr = await this.redis.hget(this.keys.session(checkSessionId(sessionId)), 'qr');
    if (qr === null) return undefined;
    return (await this.redis.exists(this.keys.qr(qr))) === 1 ? qr : undefined;
  }

  async sessionInfo(sessionId: string): Promise<SimulatorSessionInfo> {
    const sid = checkSessionId(sessionId);
    const [status, number] = await this.redis.hmget(this.keys.session(sid), 'status', 'number');
    const info: SimulatorSessionInfo = { sessionId: sid, status: (status as SimulatorSessionStatus | null) ?? 'unlinked' };
    if (number) info.number = number;
    return info;
  }

  /** Logout from the phone (401): frees the number. Returns whether the session was linked or banned. */
  async logout(sessionId: string): Promise<boolean> {
    const [previous] = await this.drop(checkSessionId(sessionId), 'logged_out');
    return previous === 'linked' || previous === 'banned';
  }

  /** Same as {@link logout}. */
  unlink(sessionId: string): Promise<boolean> {
    return this.logout(sessionId);
  }

  /** WhatsApp bans the linked number (403). SESSION.NOT_LINKED unless linked. */
  async ban(sessionId: string): Promise<void> {
    const [previous] = await this.drop(checkSessionId(sessionId), 'banned');
    if (previous !== 'linked') throw notLinked();
  }

  /** The socket drops; an open session reconnects by itself while still linked. */
  async disconnect(sessionId: string): Promise<void> {
    const sid = checkSessionId(sessionId);
    await this.requireLinked(sid);
    await this.publish(sid, { type: 'disconnected' });
  }

  /** Another client takes the session over (440): open sockets become `replaced`. */
  async replace(sessionId: string): Promise<void> {
    const sid = checkSessionId(sessionId);
    const [status] = replyStrings(
      await runScript(this.redis, 'claim', [this.keys.session(sid)], [`control-${newSocketId()}`, this.keys.channel(sid)]),
    );
    if (status !== 'linked') throw notLinked();
  }

  /**
   * The next `n` sends of the session fail with `kind` (reachout_locked:
   * the next `n` sends to recipients the session never sent to; sends to
   * known contacts pass). `n` may be Infinity (until `untilMs` or
   * {@link clearFaults}). Replaces any fault already set.
   */
  async failNextSends(
    sessionId: string,
    n: number,
    kind: SimulatedFaultKind,
    opts: FailNextSendsOptions = {},
  ): Promise<void> {
    const sid = checkSessionId(sessionId);
    if (!FAULT_KINDS.has(kind)) throw new AppError('VALIDATION.INVALID_PARAM', 'unknown fault kind');
    if (!(n === Number.POSITIVE_INFINITY || (Number.isInteger(n) && n >= 1))) {
      throw new AppError('VALIDATION.INVALID_PARAM', 'n must be a positive integer or Infinity');
    }
    let untilMs = opts.untilMs ?? 0;
    if (kind === 'restricted' && opts.untilMs === undefined) untilMs = Date.now() + RESTRICTED_DEFAULT_MS;
    const retryAfterMs = opts.retryAfterMs ?? 1000;
    const key = this.keys.faults(sid);
    await this.redis
      .multi()
      .del(key)
      .hset(key, {
        kind,
        remaining: n === Number.POSITIVE_INFINITY ? -1 : n,
        untilMs: Math.trunc(untilMs),
        retryAfterMs: Math.trunc(retryAfterMs),
      })
      .exec();
  }

  async clearFaults(sessionId: string): Promise<void> {
    await this.redis.del(this.keys.faults(checkSessionId(sessionId)));
  }

  /**
   * A contact writes to the session. Queued until an open, connected socket of
   * the session takes it (so it survives a worker restart); SESSION.NOT_LINKED
   * unless linked.
   */
  async injectInbound(sessionId: string, message: SimulatedInbound): Promise<{ waMessageId: string }> {
    const sid = checkSessionId(sessionId);
    const fromPhone = normalizePhone(message.fromPhone);
    if (typeof message.text !== 'string') throw new AppError('VALIDATION.INVALID_PARAM', 'text must be a string');
    const waMessageId = newInboundMessageId();
    const payload: Record<string, string> = { waMessageId, fromJid: toJid(fromPhone), fromPhone, text: message.text };
    if (message.quotedWaMessageId !== undefined) payload.quotedWaMessageId = message.quotedWaMessageId;
    const [status] = replyStrings(
      await runScript(
        this.redis,
        'inbound',
        [this.keys.session(sid), this.keys.inbox(sid)],
        [JSON.stringify(payload), this.keys.channel(sid)],
      ),
    );
    if (status !== 'linked') throw notLinked();
    return { waMessageId };
  }

  /** Pushes a receipt to the session's open sockets (tests; automatic receipts need no call). */
  async ack(sessionId: string, waMessageId: string, status: 'delivered' | 'read'): Promise<void> {
    const sid = checkSessionId(sessionId);
    if (status !== 'delivered' && status !== 'read') {
      throw new AppError('VALIDATION.INVALID_PARAM', 'status must be delivered or read');
    }
    await this.publish(sid, { type: 'receipt', waMessageId, status });
  }

  /** Every recorded send, in order. */
  async sent(filter: SentFilter = {}): Promise<SimulatedSend[]> {
    const raw = await this.redis.lrange(this.keys.sent, 0, -1);
    const owner = filter.ownerChatId === undefined ? undefined : String(filter.ownerChatId);
    return raw
      .map(parseSend)
      .filter(
        (r) =>
          (filter.sessionId === undefined || r.sessionId === filter.sessionId) &&
          (owner === undefined || r.ownerChatId === owner) &&
          (filter.fromNumber === undefined || r.fromNumber === filter.fromNumber) &&
          (filter.to === undefined || r.to === filter.to) &&
          (filter.clientMessageId === undefined || r.clientMessageId === filter.clientMessageId) &&
          (filter.afterSeq === undefined || r.seq > filter.afterSeq),
      );
  }

  async sentCount(filter?: SentFilter): Promise<number> {
    if (filter === undefined) return this.redis.llen(this.keys.sent);
    return (await this.sent(filter)).length;
  }

  /** Sends refused as duplicates (same clientMessageId), for one session or all. */
  async duplicateSends(sessionId?: string): Promise<number> {
    if (sessionId !== undefined) return Number((await this.redis.hget(this.keys.dups, sessionId)) ?? 0);
    const all = await this.redis.hvals(this.keys.dups);
    return all.reduce((sum, v) => sum + Number(v), 0);
  }

  /** Deletes every key under the simulator prefix (and nothing else). Returns how many. */
  async reset(): Promise<number> {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.keys.pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  }

  /** Closes the connection if the control opened it (a client passed in stays open). */
  async close(): Promise<void> {
    if (this.owned) await closeQuietly(this.redis);
  }

  /** @internal also used by the transport's logout. */
  async drop(sessionId: string, mode: 'logged_out' | 'banned'): Promise<string[]> {
    return replyStrings(
      await runScript(
        this.redis,
        'drop',
        [this.keys.session(sessionId)],
        [sessionId, Date.now(), this.keys.base, this.keys.channel(sessionId), mode],
      ),
    );
  }

  private async linkWith(sessionId: string, phoneDigits: string, expectQr: string, companion = false): Promise<void> {
    const number = normalizePhone(phoneDigits);
    const canonical = canonicalPhone(number);
    const [result] = replyStrings(
      await runScript(
        this.redis,
        'link',
        [this.keys.session(sessionId), this.keys.number(canonical)],
        [sessionId, number, canonical, Date.now(), this.keys.base, this.keys.channel(sessionId), expectQr, companion ? '1' : ''],
      ),
    );
    switch (result) {
      case 'ok':
      case 'same':
        return;
      case 'taken':
        throw new AppError('SESSION.NUMBER_TAKEN', 'this WhatsApp number is already linked to another session');
      case 'already_linked':
        throw new AppError('SESSION.ALREADY_LINKED', 'session is already linked to another number; log it out first');
      case 'no_qr':
        throw qrNotAvailable();
      default:
        throw new Error(`unexpected link reply ${String(result)}`);
    }
  }

  private async requireLinked(sessionId: string): Promise<void> {
    const status = await this.redis.hget(this.keys.session(sessionId), 'status');
    if (status !== 'linked') throw notLinked();
  }

  private async publish(sessionId: string, event: Record<string, string>): Promise<void> {
    await this.redis.publish(this.keys.channel(sessionId), JSON.stringify(event));
  }
}

function checkSessionId(sessionId: string): string {
  parseSessionId(sessionId);
  return sessionId;
}

function notLinked(): AppError {
  return new AppError('SESSION.NOT_LINKED', 'session is not linked in the simulator');
}

function qrNotAvailable(): AppError {
  return new AppError('SESSION.QR_NOT_AVAILABLE', 'QR code is unknown or expired');
}

function parseSend(raw: string): SimulatedSend {
  const r = JSON.parse(raw) as Record<string, string>;
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    sessionId: r.sessionId ?? '',
    ownerChatId: r.ownerChatId ?? '',
    fromNumber: r.fromNumber ?? '',
    to: r.to ?? '',
    text: r.text ?? '',
    clientMessageId: r.clientMessageId ?? '',
    waMessageId: r.waMessageId ?? '',
    epoch: r.epoch ?? '',
    instanceId: r.instanceId ?? '',
  };
}
