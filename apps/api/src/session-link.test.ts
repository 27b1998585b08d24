import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPhone, sessionIdFor, shardOf } from '@wa-dispatch/core';
import { PairingRequests, QrStore, SessionSignal } from '@wa-dispatch/queue';
import { ADMIN_ENV_KEY, SHARDS, startHarness, type Harness } from './test-support/api-harness.js';

// The session-linking routes on their own (no worker): a QR put into the
// QrStore as a worker would, the worker's nudge observed on the channel, the
// worker's pairing reply played by the test.
let h: Harness;
let qrs: QrStore;
const A = 710_000_001n;
const B = 710_000_002n;
const NUMBER = '5511976540001';
let keyA: string;
let keyB: string;
let service: string;
const nudges: string[] = [];
let unsubscribe: () => Promise<void>;

beforeAll(async () => {
  h = await startHarness('api_session_link');
  qrs = new QrStore({ redis: h.redis.client, prefix: h.redis.prefix });
  await h.seedTenant(A);
  await h.seedTenant(B, { numero: '5511976540002' });
  keyA = (await h.seedKey('tenant', A)).key;
  keyB = (await h.seedKey('tenant', B)).key;
  service = (await h.seedKey('service')).key;
  unsubscribe = await new SessionSignal({ redis: h.redis.client, prefix: h.redis.prefix }).subscribe((sid) => void nudges.push(sid));
});

afterAll(async () => {
  await unsubscribe?.();
  await h?.close();
});

const path = (chatId: bigint, rest = '') => `/v1/tenants/${chatId}/session${rest}`;

async function waitForNudge(sessionId: string): Promise<void> {
  for (let i = 0; i < 50 && !nudges.includes(sessionId); i++) await new Promise((r) => setTimeout(r, 20));
  expect(nudges).toContain(sessionId);
  nudges.length = 0;
}

describe('session routes', () => {
  it('a tenant key on another tenant is 403 before anything is read or written', async () => {
    const before = await h.counts();
    for (const [method, p] of [
      ['POST', path(A)],
      ['GET', path(A)],
      ['GET', path(A, '/qr')],
      ['DELETE', path(A)],
      ['POST', path(A, '/pairing-code')],
    ] as const) {
      const res = await h.call(method, p, { key: keyB, ...(method === 'POST' ? { body: { phone: NUMBER } } : {}) });
      expect([method, p, res.status, res.body.error.code]).toEqual([method, p, 403, 'AUTH.FORBIDDEN_TENANT']);
    }
    expect((await h.call('GET', path(A))).status).toBe(401);
    expect(await h.counts()).toEqual(before);
  });

  it('POST starts linking (pending_qr + a nudge), is repeat-safe, and refuses a linked session', async () => {
    const res = await h.call('POST', path(A), { key: keyA });
    expect([res.status, res.body]).toEqual([202, { sessionId: sessionIdFor(A), status: 'pending_qr' }]);
    await waitForNudge(sessionIdFor(A));
    expect((await h.call('POST', path(A), { key: service })).status).toBe(202);
    const linked = await h.call('POST', path(B), { key: keyB });
    expect([linked.status, linked.body.error.code]).toEqual([409, 'SESSION.ALREADY_LINKED']);
    const missing = await h.call('POST', path(999n), { key: ADMIN_ENV_KEY });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'TENANT.NOT_FOUND']);
  });

  it('GET shows status and number: full to the tenant, masked to admin/service', async () => {
    const own = await h.call('GET', path(B), { key: keyB });
    expect(own.body).toEqual({
      sessionId: sessionIdFor(B),
      status: 'connected',
      number: '5511976540002',
      shard: shardOf(B, SHARDS),
      lastError: null,
      linkedAt: null,
    });
    expect((await h.call('GET', path(B), { key: ADMIN_ENV_KEY })).body.number).toBe(maskPhone('5511976540002'));
    expect((await h.call('GET', path(B), { key: service })).body.number).toBe(maskPhone('5511976540002'));
  });

  it('QR: 404 until the worker hands one over, then PNG or JSON, never cached; 409 once linked', async () => {
    const none = await h.call('GET', path(A, '/qr'), { key: keyA });
    expect([none.status, none.body.error.code]).toEqual([404, 'SESSION.QR_NOT_AVAILABLE']);
    const expiresAt = new Date(Date.now() + 20_000);
    await qrs.put(shardOf(A, SHARDS), sessionIdFor(A), '2@simulated-qr-value', expiresAt);
    const json = await h.call('GET', path(A, '/qr?format=json'), { key: keyA });
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ qr: '2@simulated-qr-value', expiresAt: new Date(expiresAt.getTime()).toISOString() });
    expect(json.body.dataUrl).toMatch(/^data:image\/png;base64,/);
    expect(json.headers.get('cache-control')).toBe('no-store');
    const res = await fetch(`${h.baseUrl}${path(A, '/qr')}`, { headers: { authorization: `Bearer ${keyA}` } });
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const badFormat = await h.call('GET', path(A, '/qr?format=svg'), { key: keyA });
    expect([badFormat.status, badFormat.body.error.code]).toEqual([400, 'VALIDATION.INVALID_QUERY']);
    // an admin reading a tenant's QR is audited
    expect((await h.call('GET', path(A, '/qr'), { key: ADMIN_ENV_KEY })).status).toBe(200);
    const { rows } = await h.tdb.pool.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'session.qr_read'`);
    expect(rows[0].n).toBe(1);
    const linked = await h.call('GET', path(B, '/qr'), { key: keyB });
    expect([linked.status, linked.body.error.code]).toEqual([409, 'SESSION.ALREADY_LINKED']);
  });

  it('pairing code: the worker’s reply is returned; no reply is 504; bad phone is 400', async () => {
    const bad = await h.call('POST', path(A, '/pairing-code'), { key: keyA, body: { phone: 'abc' } });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'PHONE.INVALID']);
    const timeout = await h.call('POST', path(A, '/pairing-code'), { key: keyA, body: { phone: NUMBER } });
    expect([timeout.status, timeout.body.error.code]).toEqual([504, 'SESSION.PAIRING_TIMEOUT']);
    expect(await h.redisKeys()).not.toContain(expect.stringContaining(':pair:')); // the request was withdrawn

    // play the worker: take the request on the nudge and answer it
    const pairing = new PairingRequests({ redis: h.redis.client, prefix: h.redis.prefix });
    const worker = new SessionSignal({ redis: h.redis.client, prefix: h.redis.prefix });
    const stop = await worker.subscribe((sid) => {
      void (async () => {
        const req = await pairing.take(shardOf(A, SHARDS), sid);
        if (req) await pairing.reply(shardOf(A, SHARDS), sid, req.id, { code: `CODE${req.phone.slice(-4)}` });
      })();
    });
    try {
      const ok = await h.call('POST', path(A, '/pairing-code'), { key: keyA, body: { phone: `+${NUMBER}` } });
      expect([ok.status, ok.body]).toEqual([200, { code: 'CODE0001' }]);
    } finally {
      await stop();
    }
    const linked = await h.call('POST', path(B, '/pairing-code'), { key: keyB, body: { phone: NUMBER } });
    expect([linked.status, linked.body.error.code]).toEqual([409, 'SESSION.ALREADY_LINKED']);
  });

  it('DELETE logs out: number released, creds and auth keys wiped, QR gone, worker nudged', async () => {
    await h.tdb.pool.query(`UPDATE whatsapp_sessions SET creds = '{"me":{"id":"x"}}' WHERE session_id = $1`, [sessionIdFor(B)]);
    await h.tdb.pool.query(`INSERT INTO whatsapp_auth_keys (session_id, category, key_id, value) VALUES ($1, 'pre-key', '1', '{}')`, [
      sessionIdFor(B),
    ]);
    nudges.length = 0;
    const res = await h.call('DELETE', path(B), { key: keyB });
    expect(res.status).toBe(204);
    await waitForNudge(sessionIdFor(B));
    const { rows } = await h.tdb.pool.query(
      `SELECT status::text, numero_whatsapp, creds IS NULL AS wiped,
              (SELECT count(*)::int FROM whatsapp_auth_keys WHERE session_id = $1) AS keys
       FROM whatsapp_sessions WHERE session_id = $1`,
      [sessionIdFor(B)],
    );
    expect(rows[0]).toEqual({ status: 'logged_out', numero_whatsapp: null, wiped: true, keys: 0 });
    expect((await h.call('GET', path(B), { key: keyB })).body).toMatchObject({ status: 'logged_out', number: null });

    await h.call('DELETE', path(A), { key: service });
    expect(await qrs.get(shardOf(A, SHARDS), sessionIdFor(A))).toBeNull();
    // and linking can start again
    expect((await h.call('POST', path(B), { key: keyB })).status).toBe(202);
  });
});
