import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebhookEvent } from '@wa-dispatch/core';
import { WebhookDeliveryRepository } from '@wa-dispatch/db';
import { SecretBox, DEV_WEBHOOK_SECRET_KEY } from '@wa-dispatch/webhooks';
import { ADMIN_ENV_KEY, startHarness, type Harness } from './test-support/api-harness.js';

// The webhook routes on their own schema: registration (SSRF guard, secret
// once, sealed at rest), auth, and the delivery log scoped to its tenant.
// Delivery itself is test/webhooks.test.ts (API + worker process).
const A = 6101n;
const B = -1_006_102n;
let h: Harness;
let keyA: string;
let keyB: string;
let deliveries: WebhookDeliveryRepository;
const box = new SecretBox(DEV_WEBHOOK_SECRET_KEY);

beforeAll(async () => {
  h = await startHarness('api_webhooks');
  await h.seedTenant(A);
  await h.seedTenant(B);
  keyA = (await h.seedKey('tenant', A)).key;
  keyB = (await h.seedKey('tenant', B)).key;
  deliveries = new WebhookDeliveryRepository(h.db, { openSecret: (s, c) => box.open(s, c) });
});

afterAll(async () => {
  await h?.close();
});

const hookPath = (chatId: bigint, rest = '') => `/v1/tenants/${chatId}/webhook${rest}`;

describe('PUT /v1/tenants/{chatId}/webhook', () => {
  it('refuses loopback and private URLs unless WEBHOOK_ALLOW_PRIVATE=true; nothing is written', async () => {
    const before = await h.counts();
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://10.0.0.1/', 'http://[::1]/', 'http://169.254.169.254/latest']) {
      const res = await h.call('PUT', hookPath(A), { key: keyA, body: { url, events: ['message.status'] } });
      expect([url, res.status, res.body.error.code]).toEqual([url, 400, 'WEBHOOK.URL_REFUSED']);
    }
    const scheme = await h.call('PUT', hookPath(A), { key: keyA, body: { url: 'ftp://example.com/', events: ['message.status'] } });
    expect([scheme.status, scheme.body.error.code]).toEqual([400, 'WEBHOOK.URL_REFUSED']);
    expect(await h.counts()).toEqual(before);
    const { rows } = await h.tdb.pool.query(`SELECT count(*)::int AS n FROM webhooks`);
    expect(rows[0].n).toBe(0);
  });

  it('refuses unknown or repeated event types and unknown fields', async () => {
    for (const body of [
      { url: 'https://8.8.8.8/hook', events: ['message.sent'] },
      { url: 'https://8.8.8.8/hook', events: [] },
      { url: 'https://8.8.8.8/hook', events: ['message.status', 'message.status'] },
      { url: 'https://8.8.8.8/hook', events: ['message.status'], secret: 'mine' },
    ]) {
      const res = await h.call('PUT', hookPath(A), { key: keyA, body });
      expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION.INVALID_BODY']);
    }
  });

  it('a private deployment (WEBHOOK_ALLOW_PRIVATE=true) accepts a loopback URL', async () => {
    const priv = await startHarness('api_webhooks_priv', { env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      await priv.seedTenant(A);
      const key = (await priv.seedKey('tenant', A)).key;
      const res = await priv.call('PUT', hookPath(A), { key, body: { url: 'http://127.0.0.1:9/hook', events: ['message.inbound'] } });
      expect(res.status).toBe(201);
    } finally {
      await priv.close();
    }
  });

  it('returns the secret once on create, keeps it on update, returns a new one on rotateSecret; stores it sealed', async () => {
    const made = await h.call('PUT', hookPath(A), { key: keyA, body: { url: 'https://8.8.8.8/hook?token=t1', events: ['message.status', 'message.inbound'] } });
    expect(made.status).toBe(201);
    expect(made.headers.get('cache-control')).toBe('no-store');
    expect(made.body).toMatchObject({ chatId: A.toString(), url: 'https://8.8.8.8/hook?token=t1', events: ['message.status', 'message.inbound'], active: true });
    expect(made.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const { rows } = await h.tdb.pool.query(`SELECT secret_encrypted FROM webhooks WHERE chat_id = $1`, [A.toString()]);
    expect(rows[0].secret_encrypted).toMatch(/^v1:/);
    expect(rows[0].secret_encrypted).not.toContain(made.body.secret.slice(6));
    expect(box.open(rows[0].secret_encrypted, A)).toBe(made.body.secret);

    const updated = await h.call('PUT', hookPath(A), { key: keyA, body: { url: 'https://8.8.4.4/hook', events: ['message.inbound'] } });
    expect(updated.status).toBe(200);
    expect(updated.body.secret).toBeUndefined();
    expect(updated.body).toMatchObject({ id: made.body.id, url: 'https://8.8.4.4/hook', events: ['message.inbound'] });
    const kept = await h.tdb.pool.query(`SELECT secret_encrypted FROM webhooks WHERE chat_id = $1`, [A.toString()]);
    expect(box.open(kept.rows[0].secret_encrypted, A)).toBe(made.body.secret);

    const rotated = await h.call('PUT', hookPath(A), { key: keyA, body: { url: 'https://8.8.4.4/hook', events: ['message.status', 'message.inbound'], rotateSecret: true } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(made.body.secret);

    const view = await h.call('GET', hookPath(A), { key: keyA });
    expect(view.status).toBe(200);
    expect(view.body.secret).toBeUndefined();
    expect(view.text).not.toContain('whsec_');
    expect(view.text).not.toContain('v1:');
    const { rows: audit } = await h.tdb.pool.query(`SELECT action, detail FROM audit_events WHERE action LIKE 'webhook.%' ORDER BY id`);
    expect(audit.map((r) => r.action)).toEqual(['webhook.create', 'webhook.update', 'webhook.update']);
    expect(JSON.stringify(audit)).not.toContain('token=t1');
    expect(JSON.stringify(audit)).not.toContain('whsec_');
    expect(h.logs.join('\n')).not.toContain(made.body.secret);
  });

  it('only the tenant itself may set where its events go: admin and service keys cannot PUT', async () => {
    for (const scope of ['admin', 'service'] as const) {
      const key = (await h.seedKey(scope)).key;
      const before = await h.counts();
      const res = await h.call('PUT', hookPath(A), { key, body: { url: 'https://8.8.8.8/steal', events: ['message.inbound'] } });
      expect([scope, res.status, res.body?.error?.code]).toEqual([scope, 403, 'AUTH.FORBIDDEN']);
      expect(await h.counts()).toEqual(before);
    }
  });

  it('another tenant’s key is AUTH.FORBIDDEN_TENANT on every webhook route; service keys are refused', async () => {
    const service = (await h.seedKey('service')).key;
    const id = randomUUID();
    for (const [method, path, body] of [
      ['PUT', hookPath(A), { url: 'https://8.8.8.8/x', events: ['message.status'] }],
      ['GET', hookPath(A), undefined],
      ['DELETE', hookPath(A), undefined],
      ['GET', hookPath(A, '/deliveries'), undefined],
      ['GET', hookPath(A, `/deliveries/${id}`), undefined],
      ['POST', hookPath(A, `/deliveries/${id}/replay`), undefined],
    ] as const) {
      const before = await h.counts();
      const other = await h.call(method, path, { key: keyB, body });
      expect([method, path, other.status, other.body?.error?.code]).toEqual([method, path, 403, 'AUTH.FORBIDDEN_TENANT']);
      const svc = await h.call(method, path, { key: service, body });
      expect([method, path, svc.status, svc.body?.error?.code]).toEqual([method, path, 403, 'AUTH.FORBIDDEN']);
      expect(await h.counts()).toEqual(before);
    }
  });
});

describe('the delivery log', () => {
  let ofA: string;
  let ofB: string;

  beforeAll(async () => {
    expect((await h.call('PUT', hookPath(B), { key: keyB, body: { url: 'https://8.8.8.8/b', events: ['message.inbound'] } })).status).toBe(201);
    const inbound = (chatId: bigint) =>
      buildWebhookEvent('message.inbound', chatId, {
        inboundId: randomUUID(), sessionId: `user_${chatId}`, from: '+5511999990001', text: 'pago amanhã', waMessageId: 'WAIN1',
        inReplyToMessageId: null, receivedAt: new Date().toISOString(),
      });
    ofA = (await deliveries.recordEvent(A, inbound(A)))!;
    ofB = (await deliveries.recordEvent(B, inbound(B)))!;
    await deliveries.recordAttempt({ deliveryId: ofA, attempt: 1, startedAt: new Date(), durationMs: 4, statusCode: 400, error: 'HTTP 400', outcome: 'failed' });
    await deliveries.markFailed(ofA, 'HTTP 400');
  });

  it('lists and shows the tenant’s own deliveries; the payload only to the tenant itself', async () => {
    const list = await h.call('GET', hookPath(A, '/deliveries'), { key: keyA });
    expect(list.status).toBe(200);
    expect(list.body.items.map((d: { id: string }) => d.id)).toEqual([ofA]);
    expect(list.body.items[0]).toMatchObject({ event: 'message.inbound', status: 'failed', attempts: 1, lastStatusCode: 400, series: 1 });
    expect(list.body.items[0].payload.data.text).toBe('pago amanhã');

    const detail = await h.call('GET', hookPath(A, `/deliveries/${ofA}`), { key: keyA });
    expect(detail.body.attemptLog).toEqual([expect.objectContaining({ series: 1, attempt: 1, statusCode: 400, outcome: 'failed', error: 'HTTP 400' })]);

    const asAdmin = await h.call('GET', hookPath(A, `/deliveries/${ofA}`), { key: ADMIN_ENV_KEY });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.payload).toBeNull();
    expect(asAdmin.text).not.toContain('pago amanhã');

    const bad = await h.call('GET', hookPath(A, '/deliveries?limit=0'), { key: keyA });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION.INVALID_QUERY']);
  });

  it('another tenant’s delivery id is 404 on its own path, and a replay of it changes nothing', async () => {
    const before = await h.tdb.pool.query(`SELECT status, series, updated_at FROM webhook_deliveries WHERE id = $1`, [ofB]);
    const shown = await h.call('GET', hookPath(A, `/deliveries/${ofB}`), { key: keyA });
    expect([shown.status, shown.body.error.code]).toEqual([404, 'WEBHOOK.NOT_FOUND']);
    const replayed = await h.call('POST', hookPath(A, `/deliveries/${ofB}/replay`), { key: keyA });
    expect([replayed.status, replayed.body.error.code]).toEqual([404, 'WEBHOOK.NOT_FOUND']);
    const after = await h.tdb.pool.query(`SELECT status, series, updated_at FROM webhook_deliveries WHERE id = $1`, [ofB]);
    expect(after.rows).toEqual(before.rows);
  });

  it('replay reopens the tenant’s delivery in a new series (202)', async () => {
    const res = await h.call('POST', hookPath(A, `/deliveries/${ofA}/replay`), { key: keyA });
    expect([res.status, res.body]).toEqual([202, { deliveryId: ofA, series: 2, status: 'pending' }]);
    const malformed = await h.call('POST', hookPath(A, '/deliveries/nope/replay'), { key: keyA });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'VALIDATION.INVALID_PARAM']);
  });

  it('DELETE removes the webhook (204), then 404', async () => {
    expect((await h.call('DELETE', hookPath(B), { key: keyB })).status).toBe(204);
    const again = await h.call('DELETE', hookPath(B), { key: keyB });
    expect([again.status, again.body.error.code]).toEqual([404, 'WEBHOOK.NOT_FOUND']);
    const gone = await h.call('GET', hookPath(B), { key: keyB });
    expect([gone.status, gone.body.error.code]).toEqual([404, 'WEBHOOK.NOT_FOUND']);
  });
});
