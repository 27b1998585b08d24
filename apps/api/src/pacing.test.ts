import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_LIMITS } from '@wa-dispatch/core';
import { DispatchSwitches } from '@wa-dispatch/queue';
import { ADMIN_ENV_KEY, startHarness, type Harness } from './test-support/api-harness.js';

const A = 6001n;
const B = 6002n;
let h: Harness;
let tenantKey: string;

beforeAll(async () => {
  h = await startHarness('api_pacing');
  await h.seedTenant(A, { numero: '5511988880001' });
  await h.seedTenant(B);
  tenantKey = (await h.seedKey('tenant', A)).key;
});

afterAll(async () => {
  await h?.close();
});

describe('GET/PATCH /v1/tenants/{chatId}/limits', () => {
  it('shows defaults, and the warm-up stage once the number is linked', async () => {
    const before = await h.call('GET', `/v1/tenants/${A}/limits`, { key: tenantKey });
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      chatId: String(A),
      timeZone: 'UTC',
      overrides: {},
      defaults: { ...DEFAULT_TENANT_LIMITS },
      configured: { ...DEFAULT_TENANT_LIMITS },
      warmup: null,
      paused: false,
      restriction: { sendBlockedUntil: null, sendBlockedBy: null, firstContactBlockedUntil: null },
    });
    await h.tdb.pool.query(`UPDATE whatsapp_sessions SET linked_at = now() - interval '3 days' WHERE chat_id_usuario = $1`, [
      A.toString(),
    ]);
    const linked = await h.call('GET', `/v1/tenants/${A}/limits`, { key: tenantKey });
    expect(linked.body.warmup).toMatchObject({ fromDay: 2, untilDay: 4, ratePerHour: 40, burst: 3, firstContactsPerDay: 20 });
    expect(linked.body.effective.firstContactDailyBudget).toBe(20);
    expect(linked.body.configured.firstContactDailyBudget).toBe(DEFAULT_TENANT_LIMITS.firstContactDailyBudget);
  });

  it('merges a patch, keeps earlier overrides, sets the time zone, audits', async () => {
    const one = await h.call('PATCH', `/v1/tenants/${A}/limits`, { key: ADMIN_ENV_KEY, body: { ratePerMinute: 30, burst: 5 } });
    expect(one.status, one.text).toBe(200);
    const two = await h.call('PATCH', `/v1/tenants/${A}/limits`, {
      key: ADMIN_ENV_KEY,
      body: { warmup: false, timeZone: 'America/Sao_Paulo' },
    });
    expect(two.body).toMatchObject({
      timeZone: 'America/Sao_Paulo',
      overrides: { ratePerMinute: 30, burst: 5, warmup: false },
      configured: { ...DEFAULT_TENANT_LIMITS, ratePerMinute: 30, burst: 5, warmup: false },
      effective: { ratePerMinute: 30, burst: 5 },
      warmup: null,
    });
    const { rows } = await h.tdb.pool.query(`SELECT detail FROM audit_events WHERE action = 'tenant.limits' ORDER BY id`);
    expect(rows.map((r) => r.detail)).toEqual([{ ratePerMinute: 30, burst: 5 }, { warmup: false, timeZone: 'America/Sao_Paulo' }]);
  });

  it.each([
    [{ ratePerMinute: 0 }],
    [{ ratePerMinute: 61 }],
    [{ burst: 1.5 }],
    [{ burst: 999 }],
    [{ recipientSpacingMs: -1 }],
    [{ firstContactDailyBudget: 0 }],
    [{ jitterMs: 'a lot' }],
    [{ warmup: 'yes' }],
    [{ timeZone: 'Mars/Olympus' }],
    [{ bogus: 1 }],
    [{}],
    [[]],
  ])('refuses %j with 400 and writes nothing', async (body) => {
    const before = await h.call('GET', `/v1/tenants/${A}/limits`, { key: ADMIN_ENV_KEY });
    const counts = await h.counts();
    const res = await h.call('PATCH', `/v1/tenants/${A}/limits`, { key: ADMIN_ENV_KEY, body });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION.INVALID_BODY');
    expect(await h.counts()).toEqual(counts);
    expect((await h.call('GET', `/v1/tenants/${A}/limits`, { key: ADMIN_ENV_KEY })).body).toEqual(before.body);
  });

  it('is 404 for an unknown tenant', async () => {
    expect((await h.call('GET', '/v1/tenants/777/limits', { key: ADMIN_ENV_KEY })).body.error.code).toBe('TENANT.NOT_FOUND');
    expect((await h.call('PATCH', '/v1/tenants/777/limits', { key: ADMIN_ENV_KEY, body: { burst: 2 } })).status).toBe(404);
  });
});

describe('tenant pause', () => {
  it('sets paused/paused_at, audits, and resume clears it; other tenants untouched', async () => {
    const p = await h.call('POST', `/v1/tenants/${A}/pause`, { key: tenantKey });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ chatId: String(A), paused: true });
    expect(Date.parse(p.body.pausedAt)).toBeGreaterThan(Date.now() - 60_000);
    const again = await h.call('POST', `/v1/tenants/${A}/pause`, { key: tenantKey });
    expect(again.body.pausedAt).toBe(p.body.pausedAt); // first pause time kept
    const { rows } = await h.tdb.pool.query(`SELECT chat_id, paused FROM tenants ORDER BY chat_id`);
    expect(rows.map((r) => [String(r.chat_id), r.paused])).toEqual([
      [String(A), true],
      [String(B), false],
    ]);
    const r = await h.call('POST', `/v1/tenants/${A}/resume`, { key: tenantKey });
    expect(r.body).toEqual({ chatId: String(A), paused: false, pausedAt: null });
    const audit = await h.tdb.pool.query(`SELECT action FROM audit_events WHERE chat_id = $1 AND action LIKE 'tenant.%' ORDER BY id`, [
      A.toString(),
    ]);
    expect(audit.rows.map((x) => x.action).filter((a) => a !== 'tenant.limits')).toEqual(['tenant.pause', 'tenant.pause', 'tenant.resume']);
    expect((await h.call('POST', '/v1/tenants/777/pause', { key: ADMIN_ENV_KEY })).status).toBe(404);
  });
});

describe('global kill switch', () => {
  it('writes Postgres, then Redis, and returns only after the switch cache window', async () => {
    const switches = new DispatchSwitches({ redis: h.redis.client, prefix: h.redis.prefix });
    expect((await h.call('GET', '/v1/admin/pause', { key: ADMIN_ENV_KEY })).body).toMatchObject({
      all: { paused: false, updatedAt: null },
      automatic: { paused: false },
      redis: { present: false },
    });
    const t0 = Date.now();
    const res = await h.call('POST', '/v1/admin/pause', { key: ADMIN_ENV_KEY });
    expect(res.status, res.text).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(switches.cacheMs);
    expect(res.body).toMatchObject({
      all: { paused: true, updatedBy: 'key:env-admin' },
      automatic: { paused: false },
      redis: { present: true, pausedAll: true, pausedAutomatic: false },
    });
    expect(await switches.read()).toMatchObject({ pausedAll: true });
    const auto = await h.call('POST', '/v1/admin/pause', { key: ADMIN_ENV_KEY, body: { scope: 'automatic' } });
    expect(auto.body.automatic.paused).toBe(true);
    const resumed = await h.call('POST', '/v1/admin/resume', { key: ADMIN_ENV_KEY, body: { scope: 'all' } });
    expect(resumed.body).toMatchObject({ all: { paused: false }, automatic: { paused: true }, redis: { pausedAll: false, pausedAutomatic: true } });
    await h.call('POST', '/v1/admin/resume', { key: ADMIN_ENV_KEY, body: { scope: 'automatic' } });
    const { rows } = await h.tdb.pool.query(`SELECT key, paused FROM dispatch_switches ORDER BY key`);
    expect(rows).toEqual([
      { key: 'all', paused: false },
      { key: 'automatic', paused: false },
    ]);
    const audit = await h.tdb.pool.query(`SELECT action, detail FROM audit_events WHERE action LIKE 'dispatch.%' ORDER BY id`);
    expect(audit.rows.map((r) => `${r.action}:${r.detail.scope}`)).toEqual([
      'dispatch.pause:all',
      'dispatch.pause:automatic',
      'dispatch.resume:all',
      'dispatch.resume:automatic',
    ]);
  });

  it('refuses a bad scope or a non-JSON body with 400 and writes nothing', async () => {
    const counts = await h.counts();
    for (const body of [{ scope: 'tenant' }, { scope: 'all', extra: 1 }]) {
      const res = await h.call('POST', '/v1/admin/pause', { key: ADMIN_ENV_KEY, body });
      expect(res.status).toBe(400);
    }
    const raw = await h.call('POST', '/v1/admin/pause', { key: ADMIN_ENV_KEY, raw: 'all', headers: { 'content-type': 'text/plain' } });
    expect(raw.status).toBe(400);
    expect(await h.counts()).toEqual(counts);
  });
});
