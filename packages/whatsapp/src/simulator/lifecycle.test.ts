import { beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFor, type TransportSession, type TransportSessionState } from '@wa-dispatch/core';
import { SessionRecorder, SimulatorControl, SimulatorTransport, waitUntil } from './index.js';
import { expectAppError, useSimulatorFixture } from './test-support/simulator-fixture.js';

const sim = useSimulatorFixture('wa-sim-life', {
  chatStart: -1_001_000_000_000n - BigInt(Math.floor(Math.random() * 1_000_000)) * 1000n,
  chatStep: -1n,
  phonePrefix: '55219',
  contactPrefix: '4915113',
});
const { newChat, newPhone, contact, newTransport, openOn, linkedTenant } = sim;
let control: SimulatorControl;
let transport: SimulatorTransport;
beforeAll(() => {
  ({ control, transport } = sim.state);
});

describe('QR lifecycle', () => {
  it('rotates the QR, refuses stale ones, then expires after qrMaxAttempts', async () => {
    const tr = newTransport({ qrRotateMs: 150, qrMaxAttempts: 3 });
    const { rec, sessionId } = await openOn(tr, newChat());
    expect(rec.stateNames()).toEqual(['connecting', 'pending_qr']);
    expect(rec.qrs).toHaveLength(1);
    const first = rec.qrs[0]!;
    expect(first.expiresAt.getTime()).toBeGreaterThan(Date.now() - 1000);
    expect(rec.qrs.map((q) => q.qr)).toContain(await control.currentQr(sessionId));

    await waitUntil(() => rec.qrs.length >= 2, { what: 'second QR' });
    const second = rec.qrs[1]!;
    expect(second.qr).not.toBe(first.qr);
    await expectAppError(control.scan(first.qr, newPhone()), 'SESSION.QR_NOT_AVAILABLE');

    await rec.waitForState('qr_expired');
    expect(rec.qrs).toHaveLength(3);
    expect(rec.stateNames()).toEqual(['connecting', 'pending_qr', 'qr_expired']);
    expect(await control.currentQr(sessionId)).toBeUndefined();
    await expectAppError(control.scan(rec.qrs[2]!.qr, newPhone()), 'SESSION.QR_NOT_AVAILABLE');
    await expectAppError(control.scan('2@unknown', newPhone()), 'SESSION.QR_NOT_AVAILABLE');
  });

  it('scanning the live QR links that session', async () => {
    const { rec, session, sessionId } = await openOn(transport, newChat());
    const qr = await control.currentQr(sessionId);
    expect(qr).toBe(rec.qrs[0]?.qr);
    const number = newPhone();
    expect(await control.scan(qr!, number)).toEqual({ sessionId });
    expect((await rec.waitForState('connected')).number).toBe(number);
    expect(session.linkedNumber()).toBe(number);
    expect(await control.currentQr(sessionId)).toBeUndefined();
    await expectAppError(control.scan(qr!, number), 'SESSION.QR_NOT_AVAILABLE');
  });

  it('refuses a scan by a number linked to another session', async () => {
    const other = await linkedTenant();
    const { rec, sessionId } = await openOn(transport, newChat());
    await expectAppError(control.scan(rec.qrs[0]!.qr, other.number), 'SESSION.NUMBER_TAKEN');
    expect(rec.lastState()).toBe('pending_qr');
    expect(await control.currentQr(sessionId)).toBe(rec.qrs[0]!.qr);
  });

  it('closing a session withdraws its QR', async () => {
    const { session, sessionId } = await openOn(transport, newChat());
    expect(await control.currentQr(sessionId)).toBeDefined();
    await session.close();
    expect(await control.currentQr(sessionId)).toBeUndefined();
  });
});

describe('phone-side and server-side session ends', () => {
  it('a logout from the phone gives logged_out (401), frees the number, and a reopen shows a QR', async () => {
    const a = await linkedTenant();
    expect(await control.logout(a.sessionId)).toBe(true);
    const info = await a.rec.waitForState('logged_out');
    expect(info.code).toBe('401');
    expect(a.session.isOpen()).toBe(false);
    expect(a.session.linkedNumber()).toBeUndefined();
    await expectAppError(a.session.send({ to: contact(1), text: 'x', clientMessageId: 'l1' }), 'SESSION.LOGGED_OUT');
    await a.session.close();

    await control.link(sessionIdFor(newChat()), a.number); // the number is free again
    const again = await openOn(transport, a.chatId);
    expect(again.rec.stateNames()).toEqual(['connecting', 'pending_qr']);
  });

  it('session.logout() unlinks in the simulator and emits logged_out', async () => {
    const a = await linkedTenant();
    await a.session.logout();
    expect(a.rec.lastState()).toBe('logged_out');
    expect(a.session.isOpen()).toBe(false);
    expect((await control.sessionInfo(a.sessionId)).status).toBe('logged_out');
    expect(a.rec.stateNames()).toEqual(['connecting', 'connected', 'logged_out']);
    expect(await control.logout(a.sessionId)).toBe(false); // nothing left to log out
  });

  it('a ban gives banned (403); the session stays banned on reopen', async () => {
    const a = await linkedTenant();
    await control.ban(a.sessionId);
    expect((await a.rec.waitForState('banned')).code).toBe('403');
    await expectAppError(a.session.send({ to: contact(3), text: 'x', clientMessageId: 'b1' }), 'SESSION.BANNED');
    await a.session.close();
    const again = await openOn(transport, a.chatId);
    expect(again.rec.stateNames()).toEqual(['connecting', 'banned']);
    await expectAppError(control.link(sessionIdFor(newChat()), a.number), 'SESSION.NUMBER_TAKEN');
    await expectAppError(control.ban(sessionIdFor(newChat())), 'SESSION.NOT_LINKED');
  });

  it('a replace gives replaced (440) and stops sends', async () => {
    const a = await linkedTenant();
    await control.replace(a.sessionId);
    expect((await a.rec.waitForState('replaced')).code).toBe('440');
    const err = await expectAppError(
      a.session.send({ to: contact(4), text: 'x', clientMessageId: 'rp1' }),
      'TRANSPORT.DISCONNECTED',
    );
    expect(err.retryable).toBe(true);
    expect(await control.sentCount({ sessionId: a.sessionId })).toBe(0);
  });

  it('a socket drop gives disconnected, then it reconnects by itself', async () => {
    const a = await linkedTenant();
    const mark = a.rec.states.length;
    await control.disconnect(a.sessionId);
    expect((await a.rec.waitForState('disconnected', { from: mark })).code).toBe('428');
    const info = await a.rec.waitForState('connected', { from: mark });
    expect(info.number).toBe(a.number);
    expect(a.rec.stateNames().slice(mark)).toEqual(['disconnected', 'connecting', 'connected']);
    await a.session.send({ to: contact(5), text: 'x', clientMessageId: 'd1' });
    expect(await control.sentCount({ sessionId: a.sessionId })).toBe(1);
  });

  it('a session logged out while disconnected does not come back', async () => {
    const tr = newTransport({ reconnectDelayMs: 200 });
    const a = await linkedTenant(tr);
    await control.disconnect(a.sessionId);
    await a.rec.waitForState('disconnected');
    await control.logout(a.sessionId);
    await a.rec.waitForState('logged_out');
    await waitUntil(() => a.rec.lastState() === 'logged_out', { what: 'final logged_out' });
    expect(a.rec.stateNames()).not.toContain('replaced');
    expect(a.rec.stateNames().filter((s) => s === 'connected')).toHaveLength(1);
  });

  it('handlers may close the session from inside a callback, and a throwing handler is harmless', async () => {
    const chatId = newChat();
    await control.link(sessionIdFor(chatId), newPhone());
    const seen: TransportSessionState[] = [];
    let session: TransportSession | undefined;
    const handlers = {
      onState: async (state: TransportSessionState) => {
        seen.push(state);
        if (state === 'connecting') throw new Error('handler bug');
        if (state === 'replaced') await session?.close();
      },
      onReceipt: () => undefined,
      onInbound: () => undefined,
    };
    session = await transport.open({ sessionId: sessionIdFor(chatId), ownerChatId: chatId, epoch: 1n, handlers });
    sim.track(session);
    expect(seen).toEqual(['connecting', 'connected']);
    await control.replace(sessionIdFor(chatId));
    await waitUntil(() => seen.includes('replaced'), { what: 'replaced' });
    await waitUntil(() => !session.isOpen(), { what: 'closed' });
    await control.injectInbound(sessionIdFor(chatId), { fromPhone: contact(6), text: 'x' }).catch(() => undefined);
    expect(seen).toEqual(['connecting', 'connected', 'replaced']);
  });

  it('logout() from inside a handler does not deadlock', async () => {
    const chatId = newChat();
    await control.link(sessionIdFor(chatId), newPhone());
    const rec = new SessionRecorder();
    let session: TransportSession | undefined;
    let loggedOut = false;
    const handlers = {
      onState: async (state: TransportSessionState) => {
        rec.onState(state, {});
        if (state === 'disconnected' && session) {
          await session.logout();
          loggedOut = true;
        }
      },
      onReceipt: () => undefined,
      onInbound: () => undefined,
    };
    session = await transport.open({ sessionId: sessionIdFor(chatId), ownerChatId: chatId, epoch: 1n, handlers });
    sim.track(session);
    await control.disconnect(sessionIdFor(chatId));
    await waitUntil(() => loggedOut, { what: 'logout inside handler' });
    await rec.waitForState('logged_out');
    expect((await control.sessionInfo(sessionIdFor(chatId))).status).toBe('logged_out');
  });
});
