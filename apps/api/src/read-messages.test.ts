import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageDispatchRepository } from '@wa-dispatch/db';
import { startHarness, type Harness } from './test-support/api-harness.js';

const A = 6001n;
const B = 6002n;
let h: Harness;
let keyA: string;
let keyB: string;
let service: string;
const idsA: string[] = [];
let idB: string;

beforeAll(async () => {
  h = await startHarness('api_read');
  await h.seedTenant(A);
  await h.seedTenant(B);
  keyA = (await h.seedKey('tenant', A)).key;
  keyB = (await h.seedKey('tenant', B)).key;
  service = (await h.seedKey('service')).key;
  for (let i = 0; i < 5; i++) {
    const res = await h.call('POST', `/v1/tenants/${A}/messages`, { key: keyA, body: { to: '5511912345678', text: `a${i}` } });
    idsA.push(res.body.id);
    await new Promise((r) => setTimeout(r, 2)); // distinct ms, so id order is send order
  }
  idB = (await h.call('POST', `/v1/tenants/${B}/messages`, { key: keyB, body: { to: '5511912345678', text: 'b' } })).body.id;
});

afterAll(async () => {
  await h?.close();
});

describe('GET /v1/tenants/{chatId}/messages/{id}', () => {
  it('returns the message and its status timeline', async () => {
    const worker = new MessageDispatchRepository(h.db);
    const id = idsA[0]!;
    await worker.transition(id, ['queued'], 'sending', { countAttempt: true });
    await worker.transition(id, ['sending'], 'sent', { waMessageId: 'WAD123' });
    const res = await h.call('GET', `/v1/tenants/${A}/messages/${id}`, { key: keyA });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, chatId: A.toString(), to: '5511912345678', text: 'a0', status: 'sent', attempts: 1, waMessageId: 'WAD123', error: null });
    expect(res.body.sentAt).toEqual(expect.any(String));
    expect(res.body.events.map((e: { status: string }) => e.status)).toEqual(['queued', 'sending', 'sent']);
  });

  it('answers 404 for another tenant’s message, exactly as for a missing one', async () => {
    const foreign = await h.call('GET', `/v1/tenants/${A}/messages/${idB}`, { key: keyA });
    const missing = await h.call('GET', `/v1/tenants/${A}/messages/01900000-0000-7000-8000-000000000000`, { key: keyA });
    const viaService = await h.call('GET', `/v1/tenants/${A}/messages/${idB}`, { key: service });
    for (const res of [foreign, missing, viaService]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'MESSAGE.NOT_FOUND', message: 'no such message' } });
    }
  });

  it('rejects a malformed id with 400', async () => {
    const res = await h.call('GET', `/v1/tenants/${A}/messages/12345`, { key: keyA });
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION.INVALID_PARAM']);
  });
});

describe('GET /v1/tenants/{chatId}/messages', () => {
  it('pages newest first with a cursor, only the tenant’s own messages', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
      const res = await h.call('GET', `/v1/tenants/${A}/messages${q}`, { key: keyA });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((m: { id: string }) => m.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual([...idsA].reverse());
    expect(pages).toBe(3);
  });

  it('filters by status and defaults to 50 items', async () => {
    const sent = await h.call('GET', `/v1/tenants/${A}/messages?status=sent`, { key: service });
    expect(sent.body.items.map((m: { id: string }) => m.id)).toEqual([idsA[0]]);
    const all = await h.call('GET', `/v1/tenants/${B}/messages`, { key: keyB });
    expect(all.body).toMatchObject({ items: [{ id: idB }], nextCursor: null });
  });

  it.each([
    ['limit=0'],
    ['limit=101'],
    ['limit=abc'],
    ['limit=1.5'],
    ['status=lost'],
    ['cursor=nope'],
    ['page=2'],
    ['limit=1&limit=2'],
  ])('rejects ?%s with VALIDATION.INVALID_QUERY', async (q) => {
    const res = await h.call('GET', `/v1/tenants/${A}/messages?${q}`, { key: keyA });
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION.INVALID_QUERY']);
  });
});
