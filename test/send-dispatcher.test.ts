import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientMessageIdFor,
  sessionIdFor,
  shardOf,
  SendDispatcher,
  systemClock,
  type TransportSession,
} from '@wa-dispatch/core';
import { AuditRepository, createDb, MessageDispatchRepository, SessionRepository, type Db } from '@wa-dispatch/db';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import { SimulatorControl, SimulatorTransport } from '@wa-dispatch/whatsapp';
import { insertQueuedMessage, insertTenant } from './support/tenant-fixtures.js';

// The send decision against real Postgres and the simulator, one case at a
// time: refusals, lease fencing and the interrupted-send recovery rules.
const SHARDS = 4;
const A = 5_001n;
const B = 5_002n;

let tdb: TestDatabase;
let redis: TestRedis;
let db: Db;
let transport: SimulatorTransport;
let control: SimulatorControl;
let sessionA: TransportSession;
const held = new Map<number, bigint>();
let dispatcher: SendDispatcher;

const status = async (id: string) =>
  (await tdb.pool.query(`SELECT status, error_code, attempts FROM messages WHERE id = $1`, [id])).rows[0];

beforeAll(async () => {
  tdb = await createTestDatabase('dispatcher');
  redis = await createTestRedis('dispatcher');
  db = createDb({ url: tdb.url });
  transport = new SimulatorTransport({ redis: redis.url, prefix: redis.prefix, ackDelayMs: 3_600_000 });
  control = transport.control;
  for (const id of [A, B]) {
    await insertTenant(tdb.pool, id, SHARDS);
    await tdb.pool.query(`UPDATE whatsapp_sessions SET status = 'connected' WHERE chat_id_usuario = $1`, [id.toString()]);
    held.set(shardOf(id, SHARDS), 1n);
  }
  await control.link(sessionIdFor(A), '5511970000001');
  const noop = { onState() {}, onReceipt() {}, onInbound() {} };
  sessionA = await transport.open({ sessionId: sessionIdFor(A), ownerChatId: A, epoch: 1n, handlers: noop });
  const live = new Map<string, TransportSession>([[sessionIdFor(A), sessionA]]);
  dispatcher = new SendDispatcher({
    messages: new MessageDispatchRepository(db),
    sessions: new SessionRepository(db),
    audit: new AuditRepository(db),
    shardGuard: { epochOf: (s) => held.get(s) },
    live: { get: (id) => live.get(id) },
    shardCount: SHARDS,
    workerId: 'unit',
    clock: systemClock,
  });
});

afterAll(async () => {
  await control?.reset();
  await transport?.shutdown();
  await db?.$disconnect();
  await redis?.close();
  await tdb?.drop();
});

describe('SendDispatcher', () => {
  it('sends through the owner session and records the WhatsApp id', async () => {
    const job = await insertQueuedMessage(tdb.pool, A, '5521960000001', 'hello');
    const outcome = await dispatcher.dispatch(job, shardOf(A, SHARDS));
    expect(outcome).toMatchObject({ kind: 'sent', waMessageId: expect.any(String) });
    expect(await status(job.messageId)).toMatchObject({ status: 'sent', attempts: 1 });
    const [record] = await control.sent({ clientMessageId: clientMessageIdFor(job.messageId) });
    expect(record).toMatchObject({ sessionId: sessionIdFor(A), fromNumber: '5511970000001' });
    // a second delivery of the same job is a no-op
    expect(await dispatcher.dispatch(job, shardOf(A, SHARDS))).toEqual({ kind: 'noop', reason: 'already-final' });
    expect(await control.sentCount()).toBe(1);
  });

  it('a row left in sending whose message did leave is marked sent, not resent', async () => {
    const job = await insertQueuedMessage(tdb.pool, A, '5521960000002', 'interrupted after send');
    await sessionA.send({ to: '5521960000002', text: 'interrupted after send', clientMessageId: clientMessageIdFor(job.messageId) });
    await tdb.pool.query(`UPDATE messages SET status = 'sending', attempts = 1 WHERE id = $1`, [job.messageId]);
    const before = await control.sentCount();
    expect(await dispatcher.dispatch(job, shardOf(A, SHARDS))).toMatchObject({ kind: 'sent', recovered: true });
    expect(await control.sentCount()).toBe(before);
    expect(await control.duplicateSends()).toBe(0);
    expect((await status(job.messageId)).status).toBe('sent');
  });

  it('a row left in sending that provably did not leave is sent once', async () => {
    const job = await insertQueuedMessage(tdb.pool, A, '5521960000003', 'interrupted before send');
    await tdb.pool.query(`UPDATE messages SET status = 'sending', attempts = 1 WHERE id = $1`, [job.messageId]);
    expect(await dispatcher.dispatch(job, shardOf(A, SHARDS))).toMatchObject({ kind: 'sent' });
    expect(await control.sentCount({ clientMessageId: clientMessageIdFor(job.messageId) })).toBe(1);
  });

  it('a row left in sending on a transport that cannot tell becomes uncertain and is audited', async () => {
    const job = await insertQueuedMessage(tdb.pool, A, '5521960000004', 'who knows');
    await tdb.pool.query(`UPDATE messages SET status = 'sending', attempts = 1 WHERE id = $1`, [job.messageId]);
    const blind: TransportSession = { ...sessionA, sessionId: sessionA.sessionId, ownerChatId: A, wasSent: async () => undefined, isOpen: () => true, linkedNumber: () => '5511970000001', send: sessionA.send.bind(sessionA), close: async () => {}, logout: async () => {} };
    const d = new SendDispatcher({
      messages: new MessageDispatchRepository(db),
      sessions: new SessionRepository(db),
      audit: new AuditRepository(db),
      shardGuard: { epochOf: (s) => held.get(s) },
      live: { get: () => blind },
      shardCount: SHARDS,
      workerId: 'unit',
      clock: systemClock,
    });
    const before = await control.sentCount();
    expect(await d.dispatch(job, shardOf(A, SHARDS))).toEqual({ kind: 'uncertain' });
    expect((await status(job.messageId)).status).toBe('uncertain');
    expect(await control.sentCount()).toBe(before);
    const { rows } = await tdb.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'message.uncertain'`);
    expect(rows[0].n).toBe(1);
  });

  it("refuses when the live socket belongs to someone else", async () => {
    const job = await insertQueuedMessage(tdb.pool, B, '5521960000005', 'b via a?');
    const d = new SendDispatcher({
      messages: new MessageDispatchRepository(db),
      sessions: new SessionRepository(db),
      audit: new AuditRepository(db),
      shardGuard: { epochOf: (s) => held.get(s) },
      live: { get: () => sessionA }, // a registry bug handing out A's socket for B
      shardCount: SHARDS,
      workerId: 'unit',
      clock: systemClock,
    });
    const before = await control.sentCount();
    expect(await d.dispatch(job, shardOf(B, SHARDS))).toMatchObject({ kind: 'refused', code: 'SESSION.SOCKET_MISMATCH' });
    expect((await status(job.messageId)).status).toBe('rejected');
    expect(await control.sentCount()).toBe(before);
  });

  it('waits, without claiming, while the shard lease is not held', async () => {
    const job = await insertQueuedMessage(tdb.pool, A, '5521960000006', 'lease gone');
    const shard = shardOf(A, SHARDS);
    held.delete(shard);
    try {
      expect(await dispatcher.dispatch(job, shard)).toMatchObject({ kind: 'delay', code: 'SHARD.LEASE_LOST' });
      expect(await status(job.messageId)).toMatchObject({ status: 'queued', attempts: 0 });
    } finally {
      held.set(shard, 1n);
    }
  });

  it('a retryable transport error puts the row back to queued with the reason', async () => {
    const job = await insertQueuedMessage(tdb.pool, A, '5521960000007', 'flaky');
    await control.failNextSends(sessionIdFor(A), 1, 'transient');
    expect(await dispatcher.dispatch(job, shardOf(A, SHARDS))).toMatchObject({ kind: 'retry', code: 'TRANSPORT.SEND_FAILED' });
    expect(await status(job.messageId)).toMatchObject({ status: 'queued', error_code: 'TRANSPORT.SEND_FAILED', attempts: 1 });
    expect(await dispatcher.dispatch(job, shardOf(A, SHARDS))).toMatchObject({ kind: 'sent' });
    const { rows } = await tdb.pool.query(
      `SELECT status::text FROM message_events WHERE message_id = $1 ORDER BY id`,
      [job.messageId],
    );
    expect(rows.map((r) => r.status)).toEqual(['queued', 'sending', 'queued', 'sending', 'sent']);
  });
});
