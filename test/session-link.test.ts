import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskPhone, sessionIdFor } from '@wa-dispatch/core';
import type { SimulatorControl } from '@wa-dispatch/whatsapp';
import { ROOMY_LIMITS, startStack, type E2eStack } from './support/e2e-stack.js';
import { waitUntil } from './support/wait-until.js';

// Issue 5, "Linking a tenant's own number", end to end with real processes:
// the API starts the link, one worker process opens the session in the
// simulator and hands its QR over through Redis, the tenant's phone scans it,
// messages leave from that number only, and a logout stops sending.
const SHARDS = 4;
const ADMIN = 'session-link-admin-key-0123456789abcdefghijklmnop';
const A = { chatId: 610_000_001n, phone: '5511987650001' };
const B = { chatId: 610_000_002n, phone: '5511987650002' };
const C = { chatId: -1_000_610_000_003n, phone: '5511987650003' };

let stack: E2eStack;
let control: SimulatorControl;
const keys = new Map<bigint, string>();
const call: E2eStack['call'] = (...args) => stack.call(...args);

const keyOf = (chatId: bigint) => keys.get(chatId)!;
const sessionPath = (chatId: bigint, rest = '') => `/v1/tenants/${chatId}/session${rest}`;

async function qrJsonOf(chatId: bigint): Promise<{ qr: string; dataUrl: string; expiresAt: string }> {
  const res = await waitUntil(
    async () => {
      const r = await call('GET', sessionPath(chatId, '/qr?format=json'), keyOf(chatId));
      return r.status === 200 ? r : undefined;
    },
    `a QR for ${chatId}`,
    15_000,
    100,
  );
  return res!.body;
}

async function sessionOf(chatId: bigint, key = keyOf(chatId)) {
  const r = await call('GET', sessionPath(chatId), key);
  expect(r.status).toBe(200);
  return r.body as { sessionId: string; status: string; number: string | null; shard: number; lastError: string | null; linkedAt: string | null };
}

beforeAll(async () => {
  stack = await startStack({ name: 'session-link', shards: SHARDS, adminKey: ADMIN, workers: ['link-w'] });
  control = stack.control;
  // this file is about linking, so each tenant gets room for a few sends at once
  for (const t of [A, B, C]) keys.set(t.chatId, await stack.createTenant(t.chatId, { limits: ROOMY_LIMITS }));
  await stack.waitForEveryShard();
}, 60_000);

afterAll(() => stack?.stop());

describe('linking a tenant’s own number (API + worker process + simulator)', () => {
  it('tenant A starts linking and gets its own QR, as a PNG and as JSON', async () => {
    const started = await call('POST', sessionPath(A.chatId), keyOf(A.chatId));
    expect([started.status, started.body]).toEqual([202, { sessionId: sessionIdFor(A.chatId), status: 'pending_qr' }]);

    const { qr, dataUrl, expiresAt } = await qrJsonOf(A.chatId);
    expect(qr).toBe(await control.currentQr(sessionIdFor(A.chatId)));
    expect(dataUrl).toMatch(/^data:image\/png;base64,/);
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());

    const png = await call('GET', sessionPath(A.chatId, '/qr'), keyOf(A.chatId));
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('cache-control')).toBe('no-store');
    expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect((await sessionOf(A.chatId)).status).toBe('pending_qr');
  }, 20_000);

  it('tenant B cannot read A’s QR or status, nor start or end A’s link', async () => {
    const b = keyOf(B.chatId);
    for (const [method, path] of [
      ['GET', sessionPath(A.chatId, '/qr')],
      ['GET', sessionPath(A.chatId, '/qr?format=json')],
      ['GET', sessionPath(A.chatId)],
      ['POST', sessionPath(A.chatId)],
      ['DELETE', sessionPath(A.chatId)],
    ] as const) {
      const r = await call(method, path, b);
      expect([method, path, r.status, r.body?.error?.code]).toEqual([method, path, 403, 'AUTH.FORBIDDEN_TENANT']);
    }
    // B itself is not linking: no QR
    const own = await call('GET', sessionPath(B.chatId, '/qr'), b);
    expect([own.status, own.body.error.code]).toEqual([404, 'SESSION.QR_NOT_AVAILABLE']);
  });

  it('scanning with A’s phone links A’s number; messages then leave from it', async () => {
    const { qr } = await qrJsonOf(A.chatId);
    await control.scan(qr, A.phone);
    await waitUntil(async () => (await sessionOf(A.chatId)).status === 'connected', 'A connected', 10_000, 100);
    const own = await sessionOf(A.chatId);
    expect(own).toMatchObject({ sessionId: sessionIdFor(A.chatId), status: 'connected', number: A.phone, lastError: null });
    expect(own.linkedAt).not.toBeNull();
    expect((await sessionOf(A.chatId, ADMIN)).number).toBe(maskPhone(A.phone));

    const qrNow = await call('GET', sessionPath(A.chatId, '/qr'), keyOf(A.chatId));
    expect([qrNow.status, qrNow.body.error.code]).toEqual([409, 'SESSION.ALREADY_LINKED']);
    const again = await call('POST', sessionPath(A.chatId), keyOf(A.chatId));
    expect([again.status, again.body.error.code]).toEqual([409, 'SESSION.ALREADY_LINKED']);

    const accepted = await call('POST', `/v1/tenants/${A.chatId}/messages`, keyOf(A.chatId), { to: '5521970001111', text: 'hello from A' });
    expect(accepted.status).toBe(202);
    const [sent] = (await waitUntil(async () => {
      const s = await control.sent({ to: '5521970001111' });
      return s.length > 0 ? s : undefined;
    }, 'the message to leave', 10_000, 100))!;
    expect(sent).toMatchObject({ sessionId: sessionIdFor(A.chatId), ownerChatId: A.chatId.toString(), fromNumber: A.phone, text: 'hello from A' });
  }, 30_000);

  it('tenant C linking A’s number while A is linked is logged out with SESSION.NUMBER_TAKEN', async () => {
    expect((await call('POST', sessionPath(C.chatId), keyOf(C.chatId))).status).toBe(202);
    const { qr } = await qrJsonOf(C.chatId);
    // the same phone links one more device (real WhatsApp allows it); the dispatcher must refuse it
    await control.scan(qr, A.phone, { companion: true });
    await waitUntil(async () => (await sessionOf(C.chatId)).status === 'logged_out', 'C refused', 10_000, 100);
    expect(await sessionOf(C.chatId)).toMatchObject({ status: 'logged_out', number: null, lastError: 'SESSION.NUMBER_TAKEN' });
    expect(await sessionOf(A.chatId)).toMatchObject({ status: 'connected', number: A.phone });
    const noQr = await call('GET', sessionPath(C.chatId, '/qr'), keyOf(C.chatId));
    expect([noQr.status, noQr.body.error.code]).toEqual([404, 'SESSION.QR_NOT_AVAILABLE']);
  }, 20_000);

  it('tenant B links with a pairing code instead of a scan', async () => {
    const b = keyOf(B.chatId);
    const early = await call('POST', sessionPath(B.chatId, '/pairing-code'), b, { phone: B.phone });
    expect([early.status, early.body.error.code]).toEqual([404, 'SESSION.QR_NOT_AVAILABLE']);
    expect((await call('POST', sessionPath(B.chatId), b)).status).toBe(202);
    await qrJsonOf(B.chatId);
    const bad = await call('POST', sessionPath(B.chatId, '/pairing-code'), b, { phone: '12' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'PHONE.INVALID']);
    const foreign = await call('POST', sessionPath(B.chatId, '/pairing-code'), keyOf(C.chatId), { phone: C.phone });
    expect([foreign.status, foreign.body.error.code]).toEqual([403, 'AUTH.FORBIDDEN_TENANT']);

    const res = await call('POST', sessionPath(B.chatId, '/pairing-code'), b, { phone: `+${B.phone}` });
    expect(res.status).toBe(200);
    expect(res.body.code).toMatch(/^[1-9A-HJ-NP-TV-Z]{8}$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await control.pair(res.body.code)).toEqual({ sessionId: sessionIdFor(B.chatId) });
    await waitUntil(async () => (await sessionOf(B.chatId)).status === 'connected', 'B connected', 10_000, 100);
    expect(await sessionOf(B.chatId)).toMatchObject({ status: 'connected', number: B.phone });
    // a code works once
    await expect(control.pair(res.body.code)).rejects.toMatchObject({ code: 'SESSION.QR_NOT_AVAILABLE' });
  }, 20_000);

  it('DELETE logs A out (on WhatsApp’s side too) and nothing is sent after it', async () => {
    const del = await call('DELETE', sessionPath(A.chatId), keyOf(A.chatId));
    expect(del.status).toBe(204);
    const view = await sessionOf(A.chatId);
    expect(view).toMatchObject({ status: 'logged_out', number: null });
    const { rows } = await stack.db.pool.query(
      `SELECT creds IS NULL AS wiped, (SELECT count(*)::int FROM whatsapp_auth_keys WHERE session_id = $1) AS auth_keys
       FROM whatsapp_sessions WHERE session_id = $1`,
      [sessionIdFor(A.chatId)],
    );
    expect(rows[0]).toEqual({ wiped: true, auth_keys: 0 });
    await waitUntil(
      async () => (await control.sessionInfo(sessionIdFor(A.chatId))).status === 'logged_out',
      'the worker to log the live socket out',
      10_000,
      100,
    );
    await new Promise((r) => setTimeout(r, 300));
    // the transport's own logged_out echo does not overwrite what the API recorded
    expect(await sessionOf(A.chatId)).toMatchObject({ status: 'logged_out', number: null, lastError: null });

    const before = await control.sentCount({ sessionId: sessionIdFor(A.chatId) });
    const accepted = await call('POST', `/v1/tenants/${A.chatId}/messages`, keyOf(A.chatId), { to: '5521970002222', text: 'after logout' });
    expect(accepted.status).toBe(202);
    const id = accepted.body.id as string;
    const failed = await waitUntil(async () => {
      const r = await call('GET', `/v1/tenants/${A.chatId}/messages/${id}`, keyOf(A.chatId));
      return r.body?.status === 'failed' ? r.body : undefined;
    }, 'the message to fail', 10_000, 100);
    expect(JSON.stringify(failed)).toContain('SESSION.NOT_LINKED');
    expect(await control.sentCount({ sessionId: sessionIdFor(A.chatId) })).toBe(before);
    expect(await control.sentCount({ to: '5521970002222' })).toBe(0);
  }, 20_000);
});
