import { beforeAll, describe, expect, it } from 'vitest';
import { sessionIdFor } from '@wa-dispatch/core';
import type { TestRedis } from '@wa-dispatch/testing';
import { SessionRecorder, SimulatorControl, SimulatorTransport, waitUntil } from './index.js';
import { expectAppError, useSimulatorFixture } from './test-support/simulator-fixture.js';

const sim = useSimulatorFixture('wa-sim', {
  chatStart: 7_000_000_000n + BigInt(Math.floor(Math.random() * 1_000_000)) * 1000n,
  chatStep: 1n,
  phonePrefix: '55119',
  contactPrefix: '4915112',
});
const { newChat, newPhone, contact, newTransport, openOn, linkedTenant } = sim;
let t: TestRedis;
let prefix: string;
let control: SimulatorControl;
let transport: SimulatorTransport;
beforeAll(() => {
  ({ t, prefix, control, transport } = sim.state);
});

describe('open and link', () => {
  it('an unlinked session shows a QR, and a link connects it with the number', async () => {
    const chatId = newChat();
    const { rec, session, sessionId } = await openOn(transport, chatId);
    expect(rec.stateNames()).toEqual(['connecting', 'pending_qr']);
    expect(session.isOpen()).toBe(false);
    expect(session.linkedNumber()).toBeUndefined();

    const number = newPhone();
    await control.link(sessionId, number);
    const info = await rec.waitForState('connected');
    expect(info.number).toBe(number);
    expect(session.linkedNumber()).toBe(number);
    expect(session.isOpen()).toBe(true);
    expect(session.sessionId).toBe(sessionId);
    expect(session.ownerChatId).toBe(chatId);
    expect(await control.currentQr(sessionId)).toBeUndefined();
  });

  it('a session linked before it is opened connects straight away', async () => {
    const { rec, number, session } = await linkedTenant();
    expect(rec.stateNames()).toEqual(['connecting', 'connected']);
    expect(rec.states[1]?.info.number).toBe(number);
    expect(session.linkedNumber()).toBe(number);
  });

  it('refuses a session id that is not the owner\'s', async () => {
    const a = newChat();
    const b = newChat();
    const handlers = new SessionRecorder();
    await expectAppError(
      transport.open({ sessionId: sessionIdFor(a), ownerChatId: b, epoch: 1n, handlers }),
      'SESSION.OWNER_MISMATCH',
    );
    await expectAppError(
      transport.open({ sessionId: 'bot_clientes', ownerChatId: b, epoch: 1n, handlers }),
      'SESSION.OWNER_MISMATCH',
    );
    await expectAppError(
      transport.open({ sessionId: `user_${a}`, ownerChatId: 0n, epoch: 1n, handlers }),
      'SESSION.OWNER_MISMATCH',
    );
    expect(handlers.states).toEqual([]);
  });

  it('refuses a number already linked to another session, in either Brazilian form', async () => {
    const a = sessionIdFor(newChat());
    const b = sessionIdFor(newChat());
    await control.link(a, '5511987650001');
    await control.link(a, '5511987650001'); // idempotent
    await expectAppError(control.link(b, '5511987650001'), 'SESSION.NUMBER_TAKEN');
    await expectAppError(control.link(b, '551187650001'), 'SESSION.NUMBER_TAKEN'); // legacy 8-digit form
    await expectAppError(control.link(a, newPhone()), 'SESSION.ALREADY_LINKED');
    expect(await control.logout(a)).toBe(true);
    await control.link(b, '5511987650001');
    expect(await control.sessionInfo(b)).toEqual({ sessionId: b, status: 'linked', number: '5511987650001' });
    expect((await control.sessionInfo(a)).status).toBe('logged_out');
  });

  it('rejects malformed session ids and phones on the control side', async () => {
    await expectAppError(control.link('bot_clientes', newPhone()), 'VALIDATION.INVALID_PARAM');
    await expectAppError(control.link(sessionIdFor(newChat()), '12ab'), 'PHONE.INVALID');
  });
});

describe('send', () => {
  it('two tenants each send from their own number', async () => {
    const a = await linkedTenant();
    const b = await linkedTenant();
    const to = contact(1);
    const ra = await a.session.send({ to, text: 'hello from A', clientMessageId: 'cm-a-1' });
    const rb = await b.session.send({ to, text: 'hello from B', clientMessageId: 'cm-b-1' });
    expect(ra.waMessageId).not.toBe(rb.waMessageId);
    // the message keeps the id its sender chose, as with Baileys' messageId
    expect([ra.waMessageId, rb.waMessageId]).toEqual(['cm-a-1', 'cm-b-1']);

    const fromA = await control.sent({ sessionId: a.sessionId });
    const fromB = await control.sent({ ownerChatId: b.chatId });
    expect(fromA).toHaveLength(1);
    expect(fromA[0]).toMatchObject({
      sessionId: a.sessionId,
      ownerChatId: a.chatId.toString(),
      fromNumber: a.number,
      to,
      text: 'hello from A',
      clientMessageId: 'cm-a-1',
      waMessageId: ra.waMessageId,
      epoch: '1',
      instanceId: transport.instanceId,
    });
    expect(fromB).toHaveLength(1);
    expect(fromB[0]).toMatchObject({ sessionId: b.sessionId, ownerChatId: b.chatId.toString(), fromNumber: b.number });
    const both = await control.sent({ to });
    expect(both.map((r) => r.sessionId)).toEqual([a.sessionId, b.sessionId]);
    expect(both[1]!.seq).toBeGreaterThan(both[0]!.seq);
    expect(typeof both[0]!.at).toBe('number');
    expect(await control.sentCount({ fromNumber: a.number })).toBe(1);
  });

  it('deduplicates a resend with the same clientMessageId and answers wasSent', async () => {
    const a = await linkedTenant();
    const first = await a.session.send({ to: contact(2), text: 'once', clientMessageId: 'cm-dup' });
    const second = await a.session.send({ to: contact(2), text: 'once', clientMessageId: 'cm-dup' });
    expect(second.waMessageId).toBe(first.waMessageId);
    expect(await control.sentCount({ sessionId: a.sessionId })).toBe(1);
    expect(await control.duplicateSends(a.sessionId)).toBe(1);
    expect(await control.duplicateSends()).toBeGreaterThanOrEqual(1);
    expect(await a.session.wasSent('cm-dup')).toBe(true);
    expect(await a.session.wasSent('cm-never')).toBe(false);

    // Same clientMessageId on another session is another message.
    const b = await linkedTenant();
    expect(await b.session.wasSent('cm-dup')).toBe(false);
    await b.session.send({ to: contact(2), text: 'once', clientMessageId: 'cm-dup' });
    expect(await control.sentCount({ clientMessageId: 'cm-dup' })).toBe(2);
  });

  it('refuses to send before the link and after close', async () => {
    const { session } = await openOn(transport, newChat());
    await expectAppError(session.send({ to: contact(3), text: 'x', clientMessageId: 'c1' }), 'SESSION.NOT_LINKED');
    const a = await linkedTenant();
    await expectAppError(a.session.send({ to: 'not-a-phone', text: 'x', clientMessageId: 'c2' }), 'PHONE.INVALID');
    await a.session.close();
    expect(a.session.isOpen()).toBe(false);
    const err = await expectAppError(
      a.session.send({ to: contact(3), text: 'x', clientMessageId: 'c3' }),
      'TRANSPORT.DISCONNECTED',
    );
    expect(err.retryable).toBe(true);
    expect(await control.sentCount({ sessionId: a.sessionId })).toBe(0);
  });
});

describe('fault injection', () => {
  it('transient faults fail the next n sends, retryable, and record nothing', async () => {
    const a = await linkedTenant();
    await control.failNextSends(a.sessionId, 2, 'transient');
    for (const id of ['f1', 'f2']) {
      const err = await expectAppError(
        a.session.send({ to: contact(4), text: 'x', clientMessageId: id }),
        'TRANSPORT.SEND_FAILED',
      );
      expect(err.retryable).toBe(true);
    }
    expect(await a.session.wasSent('f1')).toBe(false);
    await a.session.send({ to: contact(4), text: 'x', clientMessageId: 'f1' });
    expect(await control.sentCount({ sessionId: a.sessionId })).toBe(1);
  });

  it('rate_limited carries retryAfterMs; restricted carries untilMs', async () => {
    const a = await linkedTenant();
    await control.failNextSends(a.sessionId, 1, 'rate_limited', { retryAfterMs: 1234 });
    const rl = await expectAppError(
      a.session.send({ to: contact(5), text: 'x', clientMessageId: 'r1' }),
      'TRANSPORT.RATE_LIMITED',
    );
    expect(rl.retryable).toBe(true);
    expect(rl.details.retryAfterMs).toBe(1234);

    const untilMs = Date.now() + 60_000;
    await control.failNextSends(a.sessionId, Number.POSITIVE_INFINITY, 'restricted', { untilMs });
    for (const id of ['r2', 'r3', 'r4']) {
      const err = await expectAppError(
        a.session.send({ to: contact(5), text: 'x', clientMessageId: id }),
        'TRANSPORT.RESTRICTED',
      );
      expect(err.details.untilMs).toBe(untilMs);
    }
    await control.clearFaults(a.sessionId);
    await a.session.send({ to: contact(5), text: 'x', clientMessageId: 'r5' });

    // A condition whose end has passed no longer applies.
    await control.failNextSends(a.sessionId, 5, 'restricted', { untilMs: Date.now() - 1 });
    await a.session.send({ to: contact(5), text: 'x', clientMessageId: 'r6' });
    expect(await control.sentCount({ sessionId: a.sessionId })).toBe(2);
  });

  it('reachout_locked hits only recipients the session never sent to', async () => {
    const a = await linkedTenant();
    const known = contact(6);
    await a.session.send({ to: known, text: 'x', clientMessageId: 'k1' });
    await control.failNextSends(a.sessionId, 1, 'reachout_locked');
    await a.session.send({ to: known, text: 'x', clientMessageId: 'k2' }); // known: passes, fault kept
    const err = await expectAppError(
      a.session.send({ to: contact(7), text: 'x', clientMessageId: 'k3' }),
      'TRANSPORT.REACHOUT_LOCKED',
    );
    expect(err.details.waErrorCode).toBe(463);
    await a.session.send({ to: contact(7), text: 'x', clientMessageId: 'k3' }); // fault used up
    expect((await control.sent({ sessionId: a.sessionId })).map((r) => r.clientMessageId)).toEqual(['k1', 'k2', 'k3']);

    // Another session has its own contacts: `known` is a first contact there.
    const b = await linkedTenant();
    await control.failNextSends(b.sessionId, 1, 'reachout_locked');
    await expectAppError(b.session.send({ to: known, text: 'x', clientMessageId: 'k1' }), 'TRANSPORT.REACHOUT_LOCKED');
  });
});

describe('inbound and receipts', () => {
  it('delivers inbound messages to the addressed session only', async () => {
    const a = await linkedTenant();
    const b = await linkedTenant();
    const from = contact(8);
    const { waMessageId } = await control.injectInbound(a.sessionId, {
      fromPhone: `+${from}`,
      text: 'reply to A',
      quotedWaMessageId: '3EB0QUOTED',
    });
    await waitUntil(() => a.rec.inbound.length === 1, { what: 'inbound on A' });
    expect(a.rec.inbound[0]).toEqual({
      waMessageId,
      fromJid: `${from}@s.whatsapp.net`,
      fromPhone: from,
      text: 'reply to A',
      quotedWaMessageId: '3EB0QUOTED',
    });
    await control.injectInbound(b.sessionId, { fromPhone: from, text: 'reply to B' });
    await waitUntil(() => b.rec.inbound.length === 1, { what: 'inbound on B' });
    expect(b.rec.inbound[0]?.text).toBe('reply to B');
    expect(a.rec.inbound).toHaveLength(1);
  });

  it('keeps inbound messages until the session is open, and refuses unlinked sessions', async () => {
    const chatId = newChat();
    const sessionId = sessionIdFor(chatId);
    await expectAppError(control.injectInbound(sessionId, { fromPhone: contact(9), text: 'x' }), 'SESSION.NOT_LINKED');
    await control.link(sessionId, newPhone());
    await control.injectInbound(sessionId, { fromPhone: contact(9), text: 'while offline' });
    const { rec } = await openOn(transport, chatId);
    await waitUntil(() => rec.inbound.length === 1, { what: 'queued inbound' });
    expect(rec.inbound[0]?.text).toBe('while offline');
  });

  it('emits delivered (and read with autoRead) receipts, and explicit acks', async () => {
    const a = await linkedTenant();
    const { waMessageId } = await a.session.send({ to: contact(10), text: 'x', clientMessageId: 'rc1' });
    await waitUntil(() => a.rec.receipts.length === 1, { what: 'delivered receipt' });
    expect(a.rec.receipts[0]).toEqual({ waMessageId, status: 'delivered' });
    await control.ack(a.sessionId, waMessageId, 'read');
    await waitUntil(() => a.rec.receipts.length === 2, { what: 'explicit read' });
    expect(a.rec.receipts[1]).toEqual({ waMessageId, status: 'read' });

    const reader = newTransport({ autoRead: true, readDelayMs: 10 });
    const b = await linkedTenant(reader);
    const sent = await b.session.send({ to: contact(10), text: 'x', clientMessageId: 'rc2' });
    await waitUntil(() => b.rec.receipts.length === 2, { what: 'delivered + read' });
    expect(b.rec.receipts).toEqual([
      { waMessageId: sent.waMessageId, status: 'delivered' },
      { waMessageId: sent.waMessageId, status: 'read' },
    ]);
    expect(a.rec.receipts).toHaveLength(2);
  });
});

describe('several processes share one simulated WhatsApp', () => {
  it('two transports and a control see the same state', async () => {
    const t1 = newTransport();
    const t2 = newTransport();
    const a = await linkedTenant(t1);
    const b = await linkedTenant(t2);
    const ra = await a.session.send({ to: contact(11), text: 'a', clientMessageId: 'p-a' });
    await b.session.send({ to: contact(11), text: 'b', clientMessageId: 'p-b' });
    const records = await control.sent({ to: contact(11) });
    expect(records.map((r) => [r.sessionId, r.fromNumber, r.instanceId])).toEqual([
      [a.sessionId, a.number, t1.instanceId],
      [b.sessionId, b.number, t2.instanceId],
    ]);

    // A takes over tenant A's session in process 2 (e.g. after a lease moved):
    // the old socket is replaced and can no longer send.
    const a2 = await openOn(t2, a.chatId, { epoch: 2n });
    await a2.rec.waitForState('connected');
    await a.rec.waitForState('replaced');
    expect(a.rec.states.at(-1)?.info.code).toBe('440');
    await expectAppError(a.session.send({ to: contact(11), text: 'a', clientMessageId: 'p-a2' }), 'TRANSPORT.DISCONNECTED');
    expect(await a2.session.wasSent('p-a')).toBe(true);
    const resent = await a2.session.send({ to: contact(11), text: 'a', clientMessageId: 'p-a' });
    expect(resent.waMessageId).toBe(ra.waMessageId);
    const again = await a2.session.send({ to: contact(11), text: 'a2', clientMessageId: 'p-a3' });
    expect((await control.sent({ clientMessageId: 'p-a3' }))[0]).toMatchObject({
      epoch: '2',
      instanceId: t2.instanceId,
      waMessageId: again.waMessageId,
      fromNumber: a.number,
    });

    // Control actions reach sessions in any process.
    await control.injectInbound(a.sessionId, { fromPhone: contact(12), text: 'hi' });
    await waitUntil(() => a2.rec.inbound.length === 1, { what: 'inbound in process 2' });
    expect(a.rec.inbound).toHaveLength(0);
  });

  it('uses one subscriber connection per transport, whatever the number of sessions', async () => {
    const tr = newTransport();
    const opened = await Promise.all(Array.from({ length: 25 }, () => openOn(tr, newChat())));
    const list = String(await t.client.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const mine = list.split('\n').filter((line) => line.includes(`name=${tr.instanceId}-sub `));
    expect(mine).toHaveLength(1);
    const channels = opened.map((o) => `${prefix}:{sim}:ev:${o.sessionId}`);
    const numsub = (await t.client.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
    for (let i = 1; i < numsub.length; i += 2) expect(Number(numsub[i])).toBe(1);
    await Promise.all(opened.map((o) => o.session.close()));
    const after = (await t.client.call('PUBSUB', 'NUMSUB', ...channels)) as (string | number)[];
    for (let i = 1; i < after.length; i += 2) expect(Number(after[i])).toBe(0);
  });

  it('reset deletes the simulator keys and nothing else', async () => {
    const own = newTransport({ prefix: `${t.prefix}:sim-reset` });
    const ownControl = own.control;
    const chatId = newChat();
    await ownControl.link(sessionIdFor(chatId), newPhone());
    const rec = new SessionRecorder();
    const session = await own.open({ sessionId: sessionIdFor(chatId), ownerChatId: chatId, epoch: 1n, handlers: rec });
    await session.send({ to: contact(13), text: 'x', clientMessageId: 'z1' });
    await session.close();
    await t.client.set(`${t.prefix}:dispatcher-key`, 'keep');
    const before = await control.sentCount();
    expect(await ownControl.reset()).toBeGreaterThan(0);
    expect(await ownControl.sentCount()).toBe(0);
    expect((await ownControl.sessionInfo(sessionIdFor(chatId))).status).toBe('unlinked');
    expect(await t.client.get(`${t.prefix}:dispatcher-key`)).toBe('keep');
    expect(await control.sentCount()).toBe(before);
  });
});
