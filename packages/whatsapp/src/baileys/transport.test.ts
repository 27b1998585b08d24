import { describe, expect, it } from 'vitest';
import { proto, type WAMessage } from '@whiskeysockets/baileys';
import { AppError, type TransportSession } from '@wa-dispatch/core';
import { SessionRecorder, waitUntil } from '../simulator/recorder.js';
import { decodeAuthJson, encodeAuthJson, SessionAuthState } from './auth-state.js';
import { MemoryAuthStateStore } from './memory-auth-store.js';
import { fakeSocketFactory, type FakeBaileysSocket } from './test-fakes.js';
import { BaileysTransport, type BaileysTransportOptions, type TimerApi } from './transport.js';

const SID = 'user_42';
const OWNER = 42n;
const ME = '5511912345678';
const ME_JID = `${ME}:7@s.whatsapp.net`;

interface Harness {
  transport: BaileysTransport;
  store: MemoryAuthStateStore;
  sockets: FakeBaileysSocket[];
  rec: SessionRecorder;
  logs: string[];
  delays: number[];
  open(epoch?: bigint): Promise<TransportSession>;
}

const SLOT_MS = 5_000;

function harness(
  opts: Partial<BaileysTransportOptions> & { onCreate?: (sock: FakeBaileysSocket, i: number) => void; now?: () => number } = {},
): Harness {
  const store = new MemoryAuthStateStore();
  store.addSession(SID, 0n);
  const { makeSocket, sockets } = fakeSocketFactory(opts.onCreate);
  const logs: string[] = [];
  const delays: number[] = [];
  const timers: TimerApi = {
    setTimeout(fn, ms) {
      if (ms !== SLOT_MS) delays.push(ms);
      const t = setTimeout(fn, ms);
      t.unref();
      return t;
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
  const log = (obj: object, msg: string) => logs.push(`${msg} ${JSON.stringify(obj)}`);
  const transport = new BaileysTransport({
    authStore: store,
    makeSocket,
    logger: { debug: log, warn: log },
    backoff: { initialMs: 10, maxMs: 40 },
    random: () => 1,
    timers,
    connectSlotTimeoutMs: SLOT_MS,
    ...(opts.now ? { clock: { now: opts.now } } : {}),
    ...opts,
  });
  const rec = new SessionRecorder();
  return {
    transport,
    store,
    sockets,
    rec,
    logs,
    delays,
    open: (epoch = 5n) => transport.open({ sessionId: SID, ownerChatId: OWNER, epoch, handlers: rec }),
  };
}

const sockAt = async (h: Harness, i: number): Promise<FakeBaileysSocket> => {
  await waitUntil(() => h.sockets.length > i, { what: `socket #${i}` });
  return h.sockets[i] as FakeBaileysSocket;
};

/** Lets queued session tasks run (nothing should happen: asserting absence). */
const settle = (ms = 60) => new Promise((r) => setTimeout(r, ms));

async function connected(h: Harness): Promise<{ session: TransportSession; sock: FakeBaileysSocket }> {
  const session = await h.open();
  const sock = await sockAt(h, 0);
  sock.open(ME_JID);
  await h.rec.waitForState('connected');
  return { session, sock };
}

function inbound(key: WAMessage['key'], message: WAMessage['message']): WAMessage {
  return { key, message, messageTimestamp: 1_700_000_000 };
}

describe('BaileysTransport: opening', () => {
  it('refuses a session id that is not the owner’s, before any socket exists', async () => {
    const h = harness();
    await expect(
      h.transport.open({ sessionId: 'user_43', ownerChatId: OWNER, epoch: 1n, handlers: h.rec }),
    ).rejects.toMatchObject({ code: 'SESSION.OWNER_MISMATCH' });
    await expect(
      h.transport.open({ sessionId: 'default', ownerChatId: OWNER, epoch: 1n, handlers: h.rec }),
    ).rejects.toMatchObject({ code: 'SESSION.OWNER_MISMATCH' });
    await settle(20);
    expect(h.sockets).toHaveLength(0);
  });

  it('passes syncFullHistory/markOnlineOnConnect false and the session’s own auth state', async () => {
    const h = harness({ socketConfig: { syncFullHistory: true, markOnlineOnConnect: true, connectTimeoutMs: 1234 } });
    await h.open();
    const sock = await sockAt(h, 0);
    expect(sock.config.syncFullHistory).toBe(false);
    expect(sock.config.markOnlineOnConnect).toBe(false);
    expect(sock.config.connectTimeoutMs).toBe(1234);
    expect(sock.config.auth.creds.registered).toBe(false);
    expect(h.rec.stateNames()).toEqual(['connecting']);
  });
});

describe('BaileysTransport: QR and linking', () => {
  it('forwards each QR with its expiry, then links through the 515 restart on a new socket', async () => {
    let now = 1_000_000;
    const h = harness({ now: () => now });
    const session = await h.open(5n);
    const first = await sockAt(h, 0);
    first.qr('QR-1');
    await waitUntil(() => h.rec.qrs.length === 1);
    expect(h.rec.lastState()).toBe('pending_qr');
    expect(h.rec.qrs[0]).toEqual({ qr: 'QR-1', expiresAt: new Date(1_000_000 + 60_000) });
    expect(h.transport.stats().connecting).toBe(0); // a QR frees the connect slot
    now += 60_000;
    first.qr('QR-2');
    await waitUntil(() => h.rec.qrs.length === 2);
    expect(h.rec.qrs[1]?.expiresAt).toEqual(new Date(now + 20_000));
    expect(h.rec.stateNames().filter((s) => s === 'pending_qr')).toHaveLength(1);

    // scan: pair-success updates creds, then WhatsApp asks for a restart (515)
    first.emit('creds.update', { me: { id: ME_JID, name: 'Ana' }, registered: true });
    await waitUntil(() => h.store.writes.some((w) => w.op === 'saveCreds'));
    expect(h.store.writes.every((w) => w.epoch === 5n)).toBe(true);
    first.close(515, 'Stream Errored (restart required)');
    const second = await sockAt(h, 1);
    expect(second).not.toBe(first);
    expect(second.config.auth.creds.me?.id).toBe(ME_JID);
    second.open(ME_JID);
    expect(await h.rec.waitForState('connected')).toEqual({ number: ME });
    expect(session.linkedNumber()).toBe(ME);
    expect(session.isOpen()).toBe(true);
    expect(h.delays).toEqual([]); // 515 reconnects at once, no backoff
    const stored = decodeAuthJson<{ me: { id: string }; noiseKey: { public: Buffer } }>((await h.store.loadCreds(SID))!);
    expect(stored.me.id).toBe(ME_JID);
    expect(Buffer.isBuffer(stored.noiseKey.public)).toBe(true);
  });

  it('408 after QRs with no linked creds is qr_expired and stops', async () => {
    const h = harness();
    await h.open();
    const sock = await sockAt(h, 0);
    sock.qr('QR-1');
    await h.rec.waitForState('pending_qr');
    sock.close(408, 'QR refs attempts ended');
    expect(await h.rec.waitForState('qr_expired')).toMatchObject({ code: 'QR_EXPIRED' });
    await settle();
    expect(h.sockets).toHaveLength(1);
  });

  it('408 before any QR (network timeout) is a plain disconnect with backoff', async () => {
    const h = harness();
    await h.open();
    (await sockAt(h, 0)).close(408, 'Timed Out');
    expect(await h.rec.waitForState('disconnected')).toMatchObject({ code: '408' });
    await sockAt(h, 1);
    expect(h.delays).toEqual([10]);
  });

  it('comes back from stored creds without a QR', async () => {
    const h = harness();
    const seed = await SessionAuthState.load({ store: h.store, sessionId: SID, epoch: 1n });
    await seed.saveCreds({ me: { id: ME_JID }, registered: true });
    const session = await h.open(2n);
    expect(session.linkedNumber()).toBe(ME);
    const sock = await sockAt(h, 0);
    expect(sock.config.auth.creds.registered).toBe(true);
    expect(Buffer.isBuffer(sock.config.auth.creds.noiseKey.private)).toBe(true);
    sock.open(ME_JID);
    await h.rec.waitForState('connected');
    expect(h.rec.qrs).toHaveLength(0);
  });
});

describe('BaileysTransport: disconnect reasons', () => {
  it('401 wipes the auth state and ends logged_out, without reconnecting', async () => {
    const h = harness();
    const { session, sock } = await connected(h);
    sock.emit('creds.update', { registered: true });
    await waitUntil(() => h.store.writes.length > 0);
    await session.send({ to: '14155550123', text: 'hi', clientMessageId: 'WAD1' }); // keys may exist
    await h.store.setKeys(SID, 5n, { 'pre-key': { '1': 'x' } });
    sock.close(401, 'Connection Failure');
    expect(await h.rec.waitForState('logged_out')).toMatchObject({ code: '401' });
    expect(await h.store.loadCreds(SID)).toBeNull();
    expect(h.store.keyCount(SID)).toBe(0);
    expect(h.store.writes.at(-1)).toMatchObject({ op: 'wipe', epoch: 5n });
    expect(session.linkedNumber()).toBeUndefined();
    await settle();
    expect(h.sockets).toHaveLength(1);
    await expect(session.send({ to: '14155550123', text: 'x', clientMessageId: 'WAD2' })).rejects.toMatchObject({
      code: 'SESSION.LOGGED_OUT',
    });
  });

  it.each([
    [403, 'banned'],
    [440, 'replaced'],
  ] as const)('%i ends %s and never reconnects', async (code, state) => {
    const h = harness();
    await connected(h);
    h.sockets[0]?.close(code);
    expect(await h.rec.waitForState(state)).toMatchObject({ code: String(code) });
    await settle();
    expect(h.sockets).toHaveLength(1);
    expect(h.delays).toEqual([]);
    expect(h.sockets[0]?.ended).toBe(false); // already closed by Baileys; never reopened
  });

  it('any other close is disconnected, then a new socket after exponential, capped backoff', async () => {
    const h = harness();
    const { session } = await connected(h);
    for (let i = 0; i < 4; i += 1) {
      (await sockAt(h, i)).close(428, 'Connection Terminated');
      await sockAt(h, i + 1);
    }
    expect(h.delays).toEqual([10, 20, 40, 40]); // random=1: the full step; capped at maxMs
    expect(new Set(h.sockets).size).toBe(5);
    expect(h.rec.stateNames().filter((s) => s === 'disconnected')).toHaveLength(4);
    expect(session.isOpen()).toBe(false);
    (await sockAt(h, 4)).open(ME_JID);
    await waitUntil(() => session.isOpen());
    // an open resets the backoff
    h.sockets[4]?.close(500);
    await sockAt(h, 5);
    expect(h.delays.at(-1)).toBe(10);
  });

  it('quarantines a session that keeps failing without an open', async () => {
    const h = harness({
      quarantine: { maxFailures: 3, windowMs: 60_000 },
      onCreate: (sock) => sock.close(503, 'unavailable'),
    });
    await h.open();
    expect(await h.rec.waitForState('quarantined')).toMatchObject({ code: 'QUARANTINED' });
    await settle();
    expect(h.sockets).toHaveLength(4); // 3 failures allowed, the 4th quarantines
    expect(h.rec.lastState()).toBe('quarantined');
  });

  it('a 515 loop is quarantined too', async () => {
    const h = harness({ quarantine: { maxFailures: 2 }, onCreate: (sock) => sock.close(515) });
    await h.open();
    await h.rec.waitForState('quarantined');
    expect(h.sockets).toHaveLength(3);
  });
});

describe('BaileysTransport: inbound and receipts', () => {
  it('maps 1:1 notify messages (PN and @lid), skips groups, status, own and history messages', async () => {
    const h = harness();
    const { sock } = await connected(h);
    sock.lidToPn.set('999000111@lid', '5521988887777:0@s.whatsapp.net');
    sock.emit('messages.upsert', {
      type: 'notify',
      messages: [
        inbound({ remoteJid: '5511987654321@s.whatsapp.net', id: 'IN1', fromMe: false }, { conversation: 'oi' }),
        inbound(
          { remoteJid: '123456789012345@lid', remoteJidAlt: '5531977776666@s.whatsapp.net', id: 'IN2', fromMe: false },
          { extendedTextMessage: { text: 'paguei', contextInfo: { stanzaId: 'WADOUT1' } } },
        ),
        inbound({ remoteJid: '999000111@lid', id: 'IN3', fromMe: false }, { ephemeralMessage: { message: { conversation: 'eph' } } }),
        inbound({ remoteJid: '120363000000000000@g.us', participant: '5511987654321@s.whatsapp.net', id: 'G1', fromMe: false }, { conversation: 'group' }),
        inbound({ remoteJid: 'status@broadcast', participant: '5511987654321@s.whatsapp.net', id: 'S1', fromMe: false }, { conversation: 'status' }),
        inbound({ remoteJid: '5511987654321@s.whatsapp.net', id: 'OWN1', fromMe: true }, { conversation: 'mine' }),
        inbound({ remoteJid: '5511987654321@s.whatsapp.net', id: 'P1', fromMe: false }, { protocolMessage: { type: 0 } }),
      ],
    });
    sock.emit('messages.upsert', {
      type: 'append',
      messages: [inbound({ remoteJid: '5511987654321@s.whatsapp.net', id: 'OLD1', fromMe: false }, { conversation: 'old' })],
    });
    await waitUntil(() => h.rec.inbound.length === 3);
    await settle(20);
    expect(h.rec.inbound).toEqual([
      { waMessageId: 'IN1', fromJid: '5511987654321@s.whatsapp.net', fromPhone: '5511987654321', text: 'oi' },
      {
        waMessageId: 'IN2',
        fromJid: '123456789012345@lid',
        fromPhone: '5531977776666',
        text: 'paguei',
        quotedWaMessageId: 'WADOUT1',
      },
      { waMessageId: 'IN3', fromJid: '999000111@lid', fromPhone: '5521988887777', text: 'eph' },
    ]);
    expect(h.logs.join('\n')).not.toMatch(/paguei|5531977776666|5511987654321/);
  });

  it('maps receipts of our own messages to delivered/read', async () => {
    const h = harness();
    const { sock } = await connected(h);
    const key = (id: string, fromMe = true) => ({ remoteJid: '5511987654321@s.whatsapp.net', id, fromMe });
    const S = proto.WebMessageInfo.Status;
    sock.emit('messages.update', [
      { key: key('A'), update: { status: S.SERVER_ACK } },
      { key: key('A'), update: { status: S.DELIVERY_ACK } },
      { key: key('B'), update: { status: S.READ } },
      { key: key('C'), update: { status: S.PLAYED } },
      { key: key('D', false), update: { status: S.READ } },
      { key: key('E'), update: { status: S.ERROR, messageStubParameters: ['463'] } },
    ]);
    sock.emit('message-receipt.update', [{ key: key('F'), receipt: { userJid: 'x@s.whatsapp.net', readTimestamp: 1 } }]);
    await waitUntil(() => h.rec.receipts.length === 4);
    expect(h.rec.receipts).toEqual([
      { waMessageId: 'A', status: 'delivered' },
      { waMessageId: 'B', status: 'read' },
      { waMessageId: 'C', status: 'read' },
      { waMessageId: 'F', status: 'read' },
    ]);
    expect(h.logs.some((l) => l.includes('refused after send') && l.includes('463'))).toBe(true);
  });
});

describe('BaileysTransport: sending', () => {
  it('sends to the phone’s JID with clientMessageId as the WhatsApp id', async () => {
    const h = harness();
    const { session, sock } = await connected(h);
    const res = await session.send({ to: '14155550123', text: 'Sua fatura vence amanhã', clientMessageId: 'WADABC' });
    expect(res).toEqual({ waMessageId: 'WADABC' });
    expect(sock.sent).toEqual([{ jid: '14155550123@s.whatsapp.net', text: 'Sua fatura vence amanhã', messageId: 'WADABC' }]);
    expect(await session.wasSent('WADABC')).toBeUndefined();
    expect(h.logs.join('\n')).not.toMatch(/14155550123|fatura/);
  });

  it('uses the Brazilian form WhatsApp has registered (with or without the 9)', async () => {
    const h = harness();
    const { session, sock } = await connected(h);
    sock.registered = new Set(['551188887777']); // legacy 8-digit registration
    await session.send({ to: '5511988887777', text: 'a', clientMessageId: 'W1' });
    await session.send({ to: '5511988887777', text: 'b', clientMessageId: 'W2' });
    expect(sock.sent.map((s) => s.jid)).toEqual(['551188887777@s.whatsapp.net', '551188887777@s.whatsapp.net']);
  });

  it('refuses to send unless the connection is open: TRANSPORT.DISCONNECTED, never a crash', async () => {
    const h = harness();
    const session = await h.open();
    const req = { to: '14155550123', text: 'x', clientMessageId: 'W1' };
    await expect(session.send(req)).rejects.toMatchObject({ code: 'TRANSPORT.DISCONNECTED', retryable: true });
    const sock = await sockAt(h, 0);
    sock.open(ME_JID);
    await h.rec.waitForState('connected');
    sock.ws.isOpen = false; // socket died, close event not processed yet
    await expect(session.send(req)).rejects.toMatchObject({ code: 'TRANSPORT.DISCONNECTED' });
    sock.ws.isOpen = true;
    sock.close(428);
    await h.rec.waitForState('disconnected');
    await expect(session.send(req)).rejects.toMatchObject({ code: 'TRANSPORT.DISCONNECTED', retryable: true });
    await session.close();
    await expect(session.send(req)).rejects.toMatchObject({ code: 'TRANSPORT.DISCONNECTED' });
    expect(sock.sent).toHaveLength(0);
  });

  it('maps Baileys send errors to TRANSPORT codes', async () => {
    const h = harness({ rateLimitRetryMs: 1234 });
    const { session, sock } = await connected(h);
    const boom = (message: string, data?: number, statusCode = 500) =>
      Object.assign(new Error(message), { isBoom: true, data, output: { statusCode } });
    sock.sendErrors.push(
      boom('rate-overlimit', 429),
      boom('not-acceptable', 463),
      boom('Connection Closed', undefined, 428),
      new Error('boom'),
    );
    const req = { to: '14155550123', text: 'x', clientMessageId: 'W1' };
    const codes: unknown[] = [];
    for (let i = 0; i < 4; i += 1) {
      const e = await session.send(req).catch((err: unknown) => err);
      expect(AppError.is(e)).toBe(true);
      const a = e as AppError;
      codes.push([a.code, a.retryable, a.details.retryAfterMs]);
    }
    expect(codes).toEqual([
      ['TRANSPORT.RATE_LIMITED', true, 1234],
      ['TRANSPORT.REACHOUT_LOCKED', false, undefined],
      ['TRANSPORT.DISCONNECTED', true, undefined],
      ['TRANSPORT.SEND_FAILED', true, undefined],
    ]);
    await expect(session.send({ ...req, to: '+1 415' })).rejects.toMatchObject({ code: 'PHONE.INVALID' });
  });

  it('logout unlinks on WhatsApp, wipes the auth state, emits logged_out and closes', async () => {
    const h = harness();
    const { session, sock } = await connected(h);
    sock.emit('creds.update', { registered: true });
    await waitUntil(() => h.store.writes.length > 0);
    await session.logout();
    expect(sock.loggedOut).toBe(true);
    expect(h.rec.lastState()).toBe('logged_out');
    expect(await h.store.loadCreds(SID)).toBeNull();
    expect(h.transport.stats().sessions).toBe(0);
    await settle();
    expect(h.sockets).toHaveLength(1);
  });
});

describe('BaileysTransport: fencing and concurrency', () => {
  it('a refused (stale epoch) creds write stops the session without reconnecting', async () => {
    const h = harness();
    const { session, sock } = await connected(h);
    await h.store.saveCreds(SID, 9n, { registered: true }); // a newer holder took over
    sock.emit('creds.update', { registered: true });
    expect(await h.rec.waitForState('disconnected')).toMatchObject({ code: 'SHARD.STALE_EPOCH' });
    expect(sock.ended).toBe(true);
    expect(session.isOpen()).toBe(false);
    await expect(session.send({ to: '14155550123', text: 'x', clientMessageId: 'W' })).rejects.toMatchObject({
      code: 'TRANSPORT.DISCONNECTED',
    });
    await settle();
    expect(h.sockets).toHaveLength(1);
    expect(await h.store.loadCreds(SID)).toEqual({ registered: true });
  });

  it('connects at most maxConcurrentConnects sessions at once', async () => {
    const h = harness({ maxConcurrentConnects: 2 });
    const recs = new Map<string, SessionRecorder>();
    for (let i = 1; i <= 5; i += 1) {
      h.store.addSession(`user_${i}`);
      const rec = new SessionRecorder();
      recs.set(`user_${i}`, rec);
      await h.transport.open({ sessionId: `user_${i}`, ownerChatId: BigInt(i), epoch: 1n, handlers: rec });
    }
    await settle(30);
    expect(h.sockets).toHaveLength(2);
    expect(h.transport.stats()).toMatchObject({ sessions: 5, connecting: 2, waitingToConnect: 3 });
    h.sockets[0]?.open('5511900000001:1@s.whatsapp.net');
    await sockAt(h, 2);
    h.sockets[1]?.qr('QR');
    await sockAt(h, 3);
    await settle(30);
    expect(h.sockets).toHaveLength(4);
    await h.transport.shutdown();
    expect(h.transport.stats().sessions).toBe(0);
  });
});

describe('SessionAuthState', () => {
  it('keeps Buffers and proto key data through a JSON-only store, and deletes on null', async () => {
    const store = new MemoryAuthStateStore();
    store.addSession(SID);
    const auth = await SessionAuthState.load({ store, sessionId: SID, epoch: 1n });
    await auth.keys.set({
      'pre-key': { '1': { public: new Uint8Array([1, 2, 3]), private: Buffer.from([4, 5]) } },
      'app-state-sync-key': { AAAA: { keyData: Buffer.from([9, 9]), timestamp: 5 } },
      'lid-mapping': { '5511912345678': '123@lid' },
      session: { 'x.0': Buffer.from('s') },
    });
    const fresh = await SessionAuthState.load({ store, sessionId: SID, epoch: 1n }); // empty cache
    const pre = await fresh.keys.get('pre-key', ['1', '2']);
    expect(Buffer.from(pre['1']!.public)).toEqual(Buffer.from([1, 2, 3]));
    expect(pre['2']).toBeUndefined();
    const sync = await fresh.keys.get('app-state-sync-key', ['AAAA']);
    expect(sync.AAAA).toBeInstanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.from(sync.AAAA!.keyData!)).toEqual(Buffer.from([9, 9]));
    expect(await fresh.keys.get('lid-mapping', ['5511912345678'])).toEqual({ '5511912345678': '123@lid' });
    await fresh.keys.set({ session: { 'x.0': null } });
    expect(store.keyCount(SID)).toBe(3);
    expect(decodeAuthJson(encodeAuthJson({ b: Buffer.from([0, 255]) }))).toEqual({ b: Buffer.from([0, 255]) });
  });
});
