import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardOf } from '@wa-dispatch/core';
import { SHARDS, startHarness, type Harness } from './test-support/api-harness.js';

const A = -1009001n;
const DISABLED = 9002n;
const PHONE = '5511912345678';
let h: Harness;
let tenantKey: string;
let serviceKey: string;
const sentTexts: string[] = [];

beforeAll(async () => {
  h = await startHarness('api_send');
  await h.seedTenant(A);
  await h.seedTenant(DISABLED, { status: 'disabled' });
  tenantKey = (await h.seedKey('tenant', A)).key;
  serviceKey = (await h.seedKey('service')).key;
});

afterAll(async () => {
  await h?.close();
});

function send(body: unknown, headers: Record<string, string> = {}, key = tenantKey, chatId: bigint | string = A) {
  const text = (body as { text?: unknown } | null)?.text;
  if (typeof text === 'string') sentTexts.push(text);
  return h.call('POST', `/v1/tenants/${chatId}/messages`, { key, body, headers });
}

async function jobsOf(chatId: bigint) {
  const queue = h.producer.queueFor(shardOf(chatId, SHARDS));
  return queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
}

describe('POST /v1/tenants/{chatId}/messages', () => {
  it('writes the outbox row first and enqueues one job with ids only', async () => {
    const text = 'Olá! Sua fatura vence amanhã 🧾';
    const res = await send({ to: '+55 (11) 91234-5678', text });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', sessionId: `user_${A}` });
    const { rows } = await h.tdb.pool.query(`SELECT * FROM messages WHERE id = $1`, [res.body.id]);
    expect(rows[0]).toMatchObject({ chat_id: A.toString(), session_id: `user_${A}`, to_phone: PHONE, text, status: 'queued' });
    const events = await h.tdb.pool.query(`SELECT status FROM message_events WHERE message_id = $1`, [res.body.id]);
    expect(events.rows).toEqual([{ status: 'queued' }]);

    const jobs = (await jobsOf(A)).filter((j) => j.id === res.body.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.name).toBe('send');
    expect(Object.keys(jobs[0]!.data).sort()).toEqual(['chatId', 'messageId', 'sessionId']);
    expect(jobs[0]!.data).toEqual({ messageId: res.body.id, chatId: A.toString(), sessionId: `user_${A}` });
  });

  it('says why an unlinked session will not send yet, and is silent once linked', async () => {
    const unlinked = await send({ to: PHONE, text: 'a' });
    expect(unlinked.body.warnings).toEqual([expect.objectContaining({ code: 'SESSION.NOT_LINKED' })]);
    await h.tdb.pool.query(`UPDATE whatsapp_sessions SET status = 'connected', numero_whatsapp = '5511900001111' WHERE chat_id_usuario = $1`, [A.toString()]);
    const linked = await send({ to: PHONE, text: 'b' });
    expect(linked.status).toBe(202);
    expect(linked.body.warnings).toBeUndefined();
    await h.tdb.pool.query(`UPDATE whatsapp_sessions SET status = 'unlinked', numero_whatsapp = NULL WHERE chat_id_usuario = $1`, [A.toString()]);
  });

  it('service keys send for any active tenant; inactive or unknown tenants are refused', async () => {
    expect((await send({ to: PHONE, text: 'svc' }, {}, serviceKey)).status).toBe(202);
    const before = await h.counts();
    const inactive = await send({ to: PHONE, text: 'x' }, {}, serviceKey, DISABLED);
    expect([inactive.status, inactive.body.error.code]).toEqual([409, 'TENANT.INACTIVE']);
    const unknown = await send({ to: PHONE, text: 'x' }, {}, serviceKey, 424242n);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'TENANT.NOT_FOUND']);
    expect(await h.counts()).toEqual(before);
  });

  it('accepts exactly 65,536 characters, counting astral characters once', async () => {
    expect((await send({ to: PHONE, text: 'x'.repeat(65_536) })).status).toBe(202);
    const emoji = '😀'.repeat(65_536); // 131,072 UTF-16 units, 256 KiB of UTF-8
    expect((await send({ to: PHONE, text: emoji })).status).toBe(202);
  });
});

describe('idempotency', () => {
  it('same key and body → 200 with the same message, no second row or job', async () => {
    const first = await send({ to: PHONE, text: 'once' }, { 'idempotency-key': 'order-1' });
    expect(first.status).toBe(202);
    const before = await h.counts();
    const again = await send({ to: '+55 11 91234 5678', text: 'once' }, { 'idempotency-key': 'order-1' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(await h.counts()).toEqual(before);
  });

  it('same key, different body → 409 and nothing written', async () => {
    await send({ to: PHONE, text: 'v1' }, { 'idempotency-key': 'order-2' });
    const before = await h.counts();
    const conflict = await send({ to: PHONE, text: 'v2' }, { 'idempotency-key': 'order-2' });
    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'MESSAGE.IDEMPOTENCY_CONFLICT']);
    expect(await h.counts()).toEqual(before);
  });

  it('concurrent identical requests make one row and one job', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, () => send({ to: PHONE, text: 'race' }, { 'idempotency-key': 'race-1' })),
    );
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(11);
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const { rows } = await h.tdb.pool.query(`SELECT count(*)::int AS n FROM messages WHERE idempotency_key = 'race-1'`);
    expect(rows[0].n).toBe(1);
    expect((await jobsOf(A)).filter((j) => ids.has(j.id!))).toHaveLength(1);
  });

  it('the same key is independent per tenant', async () => {
    const B = 9003n;
    await h.seedTenant(B);
    const a = await send({ to: PHONE, text: 'k' }, { 'idempotency-key': 'shared' });
    const b = await send({ to: PHONE, text: 'k' }, { 'idempotency-key': 'shared' }, serviceKey, B);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.id).not.toBe(b.body.id);
  });
});

describe('bad input → 4xx with a code, nothing written or enqueued', () => {
  const ok = { to: PHONE, text: 'fine' };
  const cases: { name: string; body?: unknown; raw?: string; headers?: Record<string, string>; chatId?: string; status: number; code: string; field?: string }[] = [
    { name: 'letters as phone', body: { ...ok, to: 'call me' }, status: 400, code: 'PHONE.INVALID', field: 'to' },
    { name: 'short phone', body: { ...ok, to: '1234' }, status: 400, code: 'PHONE.INVALID', field: 'to' },
    { name: 'leading-zero phone', body: { ...ok, to: '011912345678' }, status: 400, code: 'PHONE.INVALID' },
    { name: 'missing phone', body: { text: 'x' }, status: 400, code: 'PHONE.INVALID', field: 'to' },
    { name: 'numeric phone', body: { ...ok, to: 5511912345678 }, status: 400, code: 'PHONE.INVALID' },
    { name: 'empty text', body: { ...ok, text: '' }, status: 400, code: 'VALIDATION.INVALID_BODY', field: 'text' },
    { name: 'text too long', body: { ...ok, text: 'y'.repeat(65_537) }, status: 400, code: 'MESSAGE.TEXT_TOO_LONG', field: 'text' },
    { name: 'NUL in text', body: { ...ok, text: 'a\u0000b' }, status: 400, code: 'VALIDATION.INVALID_BODY' },
    { name: 'unknown field', body: { ...ok, priority: 'high' }, status: 400, code: 'VALIDATION.INVALID_BODY' },
    { name: 'array body', body: [ok], status: 400, code: 'VALIDATION.INVALID_BODY' },
    { name: 'mixed problems', body: { to: 'x', text: '' }, status: 400, code: 'VALIDATION.INVALID_BODY' },
    { name: 'bad JSON', raw: '{"to": "5511', headers: { 'content-type': 'application/json' }, status: 400, code: 'VALIDATION.INVALID_BODY' },
    { name: 'not JSON', raw: 'to=5511912345678', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 400, code: 'VALIDATION.INVALID_BODY' },
    { name: 'no body', status: 400, code: 'VALIDATION.INVALID_BODY' },
    { name: 'too large', raw: JSON.stringify({ ...ok, text: 'z'.repeat(400_000) }), headers: { 'content-type': 'application/json' }, status: 413, code: 'PAYLOAD.TOO_LARGE' },
    { name: 'long Idempotency-Key', body: ok, headers: { 'idempotency-key': 'k'.repeat(256) }, status: 400, code: 'VALIDATION.INVALID_PARAM' },
    ...['abc', '0', '1.5', '99999999999999999999', '-0', '007', '+5', '1e3'].map((chatId) => ({
      name: `chatId ${chatId}`,
      body: ok,
      chatId,
      status: 400,
      code: 'CHAT_ID.INVALID',
    })),
  ];

  it.each(cases)('$name', async (c) => {
    const before = await h.counts();
    const res = await h.call('POST', `/v1/tenants/${c.chatId ?? A}/messages`, {
      key: c.chatId ? serviceKey : tenantKey,
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(c.raw !== undefined ? { raw: c.raw } : {}),
      ...(c.headers ? { headers: c.headers } : {}),
    });
    expect(res.status, res.text).toBe(c.status);
    expect(res.body.error.code).toBe(c.code);
    expect(typeof res.body.error.message).toBe('string');
    if (c.field) expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(c.field);
    if (c.name === 'unknown field') expect(res.body.error.message).toContain('priority');
    // never echo what was sent
    expect(res.text).not.toContain(PHONE);
    expect(res.text).not.toContain('call me');
    expect(await h.counts()).toEqual(before);
  });
});

describe('what reaches Redis and the logs', () => {
  it('no phone number and no message text anywhere under the prefix', async () => {
    const dump = await h.redisDump();
    expect(dump.length).toBeGreaterThan(0);
    expect(dump).not.toContain(PHONE);
    expect(dump).not.toContain('91234');
    for (const text of new Set(sentTexts)) {
      if (text.length >= 2) expect(dump.includes(text), `text "${text.slice(0, 20)}" found in Redis`).toBe(false);
    }
  });

  it('no phone number and no message text in the logs', () => {
    const logs = h.logs.join('');
    expect(logs).not.toContain(PHONE);
    for (const text of new Set(sentTexts)) if (text.length >= 4) expect(logs).not.toContain(text);
  });
});
