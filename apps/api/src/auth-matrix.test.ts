import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from './auth/api-key-codec.js';
import { ADMIN_ENV_KEY, startHarness, type Harness } from './test-support/api-harness.js';

// Every endpoint x every kind of caller gets the documented status, and a
// refused call leaves the database and Redis exactly as they were.
const A = 5001n;
const B = 5002n;
let h: Harness;
let keys: Record<Caller, string | undefined>;
let messageOfA: string;
let nextChatId = 9_000_000n;

type Caller = 'none' | 'garbage' | 'unknown' | 'revoked' | 'otherTenant' | 'rightTenant' | 'service' | 'admin' | 'envAdmin';
const CALLERS: Caller[] = ['none', 'garbage', 'unknown', 'revoked', 'otherTenant', 'rightTenant', 'service', 'admin', 'envAdmin'];

beforeAll(async () => {
  h = await startHarness('api_authz');
  await h.seedTenant(A);
  await h.seedTenant(B);
  keys = {
    none: undefined,
    garbage: 'not-a-key',
    unknown: generateApiKey('tenant').key,
    revoked: (await h.seedKey('tenant', A, true)).key,
    otherTenant: (await h.seedKey('tenant', B)).key,
    rightTenant: (await h.seedKey('tenant', A)).key,
    service: (await h.seedKey('service')).key,
    admin: (await h.seedKey('admin')).key,
    envAdmin: ADMIN_ENV_KEY,
  };
  const sent = await h.call('POST', `/v1/tenants/${A}/messages`, {
    key: keys.rightTenant,
    body: { to: '5511912345678', text: 'seed' },
  });
  expect(sent.status).toBe(202);
  messageOfA = sent.body.id;
});

afterAll(async () => {
  await h?.close();
});

interface Endpoint {
  name: string;
  request: () => Promise<{ method: string; path: string; body?: unknown }>;
  /** expected [status, code?] for the authenticated callers */
  expect: Partial<Record<Caller, [number, string?]>>;
}

const SCHEDULE = { to: '5511912345678', template: 'Oi {{name}}', variables: { name: 'x' }, intervalMs: 60_000, timezone: 'UTC' };
/** A fresh schedule of A, made straight in the database (the matrix compares counts around the call only). */
async function scheduleOfA(): Promise<string> {
  const { rows } = await h.tdb.pool.query(
    `INSERT INTO reminder_schedules (id, chat_id, to_phone, template, interval_ms, timezone) VALUES (gen_random_uuid(), $1, '5511912345678', 'x', 60000, 'UTC') RETURNING id`,
    [A.toString()],
  );
  return rows[0].id as string;
}

const F: [number, string] = [403, 'AUTH.FORBIDDEN'];
const FT: [number, string] = [403, 'AUTH.FORBIDDEN_TENANT'];

const ENDPOINTS: Endpoint[] = [
  {
    name: 'POST /v1/tenants',
    request: async () => ({ method: 'POST', path: '/v1/tenants', body: { chatId: String(nextChatId++), name: 'n' } }),
    expect: { otherTenant: F, rightTenant: F, service: F, admin: [201], envAdmin: [201] },
  },
  {
    name: 'GET /v1/tenants/{chatId}',
    request: async () => ({ method: 'GET', path: `/v1/tenants/${A}` }),
    expect: { otherTenant: FT, rightTenant: [200], service: [200], admin: [200], envAdmin: [200] },
  },
  {
    name: 'POST /v1/tenants/{chatId}/api-keys',
    request: async () => ({ method: 'POST', path: `/v1/tenants/${A}/api-keys`, body: { label: 'x' } }),
    expect: { otherTenant: F, rightTenant: F, service: F, admin: [201], envAdmin: [201] },
  },
  {
    name: 'POST /v1/api-keys',
    request: async () => ({ method: 'POST', path: '/v1/api-keys', body: { scope: 'service', label: 'svc' } }),
    expect: { otherTenant: F, rightTenant: F, service: F, admin: [201], envAdmin: [201] },
  },
  {
    name: 'DELETE /v1/api-keys/{id}',
    request: async () => ({ method: 'DELETE', path: `/v1/api-keys/${(await h.seedKey('service')).id}` }),
    expect: { otherTenant: F, rightTenant: F, service: F, admin: [204], envAdmin: [204] },
  },
  {
    name: 'POST /v1/tenants/{chatId}/messages',
    request: async () => ({ method: 'POST', path: `/v1/tenants/${A}/messages`, body: { to: '5511912345678', text: 'hi' } }),
    expect: { otherTenant: FT, rightTenant: [202], service: [202], admin: F, envAdmin: F },
  },
  {
    name: 'GET /v1/tenants/{chatId}/messages/{id}',
    request: async () => ({ method: 'GET', path: `/v1/tenants/${A}/messages/${messageOfA}` }),
    expect: { otherTenant: FT, rightTenant: [200], service: [200], admin: F, envAdmin: F },
  },
  {
    name: 'GET /v1/tenants/{chatId}/messages',
    request: async () => ({ method: 'GET', path: `/v1/tenants/${A}/messages` }),
    expect: { otherTenant: FT, rightTenant: [200], service: [200], admin: F, envAdmin: F },
  },
  {
    name: 'POST /v1/tenants/{chatId}/schedules',
    request: async () => ({ method: 'POST', path: `/v1/tenants/${A}/schedules`, body: SCHEDULE }),
    expect: { otherTenant: FT, rightTenant: [201], service: [201], admin: F, envAdmin: F },
  },
  {
    name: 'GET /v1/tenants/{chatId}/schedules',
    request: async () => ({ method: 'GET', path: `/v1/tenants/${A}/schedules` }),
    expect: { otherTenant: FT, rightTenant: [200], service: [200], admin: F, envAdmin: F },
  },
  {
    name: 'PATCH /v1/tenants/{chatId}/schedules/{id}',
    request: async () => ({ method: 'PATCH', path: `/v1/tenants/${A}/schedules/${await scheduleOfA()}`, body: { active: false } }),
    expect: { otherTenant: FT, rightTenant: [200], service: [200], admin: F, envAdmin: F },
  },
  {
    name: 'DELETE /v1/tenants/{chatId}/schedules/{id}',
    request: async () => ({ method: 'DELETE', path: `/v1/tenants/${A}/schedules/${await scheduleOfA()}` }),
    expect: { otherTenant: FT, rightTenant: [204], service: [204], admin: F, envAdmin: F },
  },
  {
    name: 'GET /v1/tenants/{chatId}/schedules/{id}/runs',
    request: async () => ({ method: 'GET', path: `/v1/tenants/${A}/schedules/${await scheduleOfA()}/runs` }),
    expect: { otherTenant: FT, rightTenant: [200], service: [200], admin: F, envAdmin: F },
  },
  {
    name: 'GET /v1/tenants/{chatId}/limits',
    request: async () => ({ method: 'GET', path: `/v1/tenants/${A}/limits` }),
    expect: { otherTenant: FT, rightTenant: [200], service: F, admin: [200], envAdmin: [200] },
  },
  {
    name: 'PATCH /v1/tenants/{chatId}/limits',
    request: async () => ({ method: 'PATCH', path: `/v1/tenants/${A}/limits`, body: { ratePerMinute: 2 } }),
    expect: { otherTenant: F, rightTenant: F, service: F, admin: [200], envAdmin: [200] },
  },
  {
    name: 'POST /v1/tenants/{chatId}/pause',
    request: async () => ({ method: 'POST', path: `/v1/tenants/${A}/pause` }),
    expect: { otherTenant: FT, rightTenant: [200], service: F, admin: [200], envAdmin: [200] },
  },
  {
    name: 'POST /v1/tenants/{chatId}/resume',
    request: async () => ({ method: 'POST', path: `/v1/tenants/${A}/resume` }),
    expect: { otherTenant: FT, rightTenant: [200], service: F, admin: [200], envAdmin: [200] },
  },
  {
    name: 'GET /v1/admin/pause',
    request: async () => ({ method: 'GET', path: '/v1/admin/pause' }),
    expect: { otherTenant: F, rightTenant: F, service: F, admin: [200], envAdmin: [200] },
  },
  {
    name: 'POST /v1/admin/pause',
    request: async () => ({ method: 'POST', path: '/v1/admin/pause', body: { scope: 'automatic' } }),
    expect: { otherTenant: F, rightTenant: F, service: F, admin: [200], envAdmin: [200] },
  },
  {
    name: 'POST /v1/admin/resume',
    request: async () => ({ method: 'POST', path: '/v1/admin/resume', body: { scope: 'automatic' } }),
    expect: { otherTenant: F, rightTenant: F, service: F, admin: [200], envAdmin: [200] },
  },
  {
    name: 'GET /metrics',
    request: async () => ({ method: 'GET', path: '/metrics' }),
    expect: { otherTenant: F, rightTenant: F, service: F, admin: [200], envAdmin: [200] },
  },
];

const UNAUTHENTICATED: Partial<Record<Caller, [number, string]>> = {
  none: [401, 'AUTH.MISSING_KEY'],
  garbage: [401, 'AUTH.INVALID_KEY'],
  unknown: [401, 'AUTH.INVALID_KEY'],
  revoked: [401, 'AUTH.REVOKED_KEY'],
};

describe.each(ENDPOINTS)('$name', (ep) => {
  it.each(CALLERS)('caller %s', async (caller) => {
    const [status, code] = UNAUTHENTICATED[caller] ?? ep.expect[caller] ?? [];
    expect(status, `no expectation for ${caller}`).toBeDefined();
    const req = await ep.request();
    const before = await h.counts();
    const res = await h.call(req.method, req.path, { key: keys[caller], body: req.body });
    expect(res.status, res.text).toBe(status);
    if (code) expect(res.body?.error?.code).toBe(code);
    if (status! >= 400) {
      expect(Object.keys(res.body)).toEqual(['error']);
      expect(await h.counts()).toEqual(before);
    }
    if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe('tenant isolation and revocation', () => {
  it('a tenant key on another (even nonexistent) tenant path is 403 before anything is read', async () => {
    for (const path of [`/v1/tenants/${B}/messages`, '/v1/tenants/77777777/messages']) {
      const before = await h.counts();
      const res = await h.call('POST', path, { key: keys.rightTenant, body: { to: '5511912345678', text: 'x' } });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('AUTH.FORBIDDEN_TENANT');
      expect(await h.counts()).toEqual(before);
    }
    const other = await h.call('GET', `/v1/tenants/${B}/messages/${messageOfA}`, { key: keys.rightTenant });
    expect(other.body.error.code).toBe('AUTH.FORBIDDEN_TENANT');
  });

  it('refuses a tenant key before reading an unparseable body', async () => {
    const res = await h.call('POST', `/v1/tenants/${B}/messages`, {
      key: keys.rightTenant,
      raw: '{"to":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.body.error.code).toBe('AUTH.FORBIDDEN_TENANT');
    const anon = await h.call('POST', `/v1/tenants/${A}/messages`, { raw: 'x'.repeat(400_000), headers: { 'content-type': 'application/json' } });
    expect(anon.status).toBe(401);
  });

  it('a revoked key fails on the very next request', async () => {
    const made = await h.call('POST', `/v1/tenants/${A}/api-keys`, { key: keys.admin, body: {} });
    expect(made.status).toBe(201);
    expect(made.body.key).toMatch(/^wad_t_[A-Za-z0-9_-]{43}$/);
    expect(made.body.prefix).toBe(made.body.key.slice(0, 12));
    expect((await h.call('GET', `/v1/tenants/${A}`, { key: made.body.key })).status).toBe(200);
    expect((await h.call('DELETE', `/v1/api-keys/${made.body.id}`, { key: keys.admin })).status).toBe(204);
    const after = await h.call('GET', `/v1/tenants/${A}`, { key: made.body.key });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('AUTH.REVOKED_KEY');
    // stored hashed: the plain key is nowhere in the table
    const { rows } = await h.tdb.pool.query(`SELECT * FROM api_keys WHERE id = $1`, [made.body.id]);
    expect(JSON.stringify(rows)).not.toContain(made.body.key);
  });

  it('revoking an unknown key is 404, a malformed id 400', async () => {
    const unknown = await h.call('DELETE', '/v1/api-keys/01900000-0000-7000-8000-000000000000', { key: keys.admin });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'API_KEY.NOT_FOUND']);
    const bad = await h.call('DELETE', '/v1/api-keys/nope', { key: keys.admin });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION.INVALID_PARAM']);
  });

  it('masks the linked number except for the tenant itself', async () => {
    await h.tdb.pool.query(
      `UPDATE whatsapp_sessions SET status = 'connected', numero_whatsapp = '5511988887777' WHERE chat_id_usuario = $1`,
      [A.toString()],
    );
    const own = await h.call('GET', `/v1/tenants/${A}`, { key: keys.rightTenant });
    expect(own.body.session.linkedNumber).toBe('5511988887777');
    for (const k of [keys.service, keys.admin]) {
      const res = await h.call('GET', `/v1/tenants/${A}`, { key: k });
      expect(res.body.session.linkedNumber).toBe('55*********77');
    }
  });

  it('records admin actions in audit_events under the key id, never the key', async () => {
    const { rows } = await h.tdb.pool.query(`SELECT actor, action, detail FROM audit_events ORDER BY id`);
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['tenant.create', 'api_key.create', 'api_key.revoke']));
    expect(rows.some((r) => r.actor === 'key:env-admin')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(ADMIN_ENV_KEY);
  });
});
