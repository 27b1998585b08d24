import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueueConnection } from '@wa-dispatch/queue';
import { API_ROUTES } from './openapi/api-routes.js';
import { jsonSchemaOf } from './openapi/openapi-document.js';
import { ADMIN_ENV_KEY, OPERATOR_PASSWORD, SHARDS, startHarness, type Harness } from './test-support/api-harness.js';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
let h: Harness;

beforeAll(async () => {
  h = await startHarness('api_ops');
});

afterAll(async () => {
  await h?.close();
});

describe('health', () => {
  it('/healthz is 200 without auth', async () => {
    const res = await h.call('GET', '/healthz');
    expect([res.status, res.body]).toEqual([200, { status: 'ok' }]);
  });

  it('/readyz reports each dependency', async () => {
    const res = await h.call('GET', '/readyz');
    expect([res.status, res.body]).toEqual([200, { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } }]);
  });
});

describe('/openapi.json', () => {
  it('is an OpenAPI 3.1 document with every route and its request schemas', async () => {
    const res = await h.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of API_ROUTES) {
      const op = doc.paths[route.path]?.[route.method];
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      if (route.body) expect(op.requestBody.content['application/json'].schema).toEqual(jsonSchemaOf(route.body));
      for (const [name] of Object.entries(route.params?.shape ?? {})) {
        expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'path', required: true }));
      }
      for (const [name] of Object.entries(route.query?.shape ?? {})) {
        expect(op.parameters).toContainEqual(expect.objectContaining({ name, in: 'query' }));
      }
      expect(op.security).toEqual(route.scopes ? [{ bearer: [] }] : []);
    }
    const send = doc.paths['/v1/tenants/{chatId}/messages'].post;
    expect(send.requestBody.content['application/json'].schema).toMatchObject({
      additionalProperties: false,
      required: ['to', 'text'],
      properties: { text: { maxLength: 65_536, minLength: 1 } },
    });
    expect(send.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    expect(doc.paths['/metrics']).toBeDefined();
  });

  it('documents every route the routers serve', async () => {
    // any documented path, filled in, must be answered by a real handler (not the 404 fallback)
    for (const route of API_ROUTES) {
      const path = route.path.replace('{chatId}', '1').replace('{id}', '01900000-0000-7000-8000-000000000000');
      const res = await h.call(route.method.toUpperCase(), path, { key: ADMIN_ENV_KEY });
      expect(res.body?.error?.code, `${route.method} ${path}`).not.toBe('NOT_FOUND');
    }
  });
});

describe('errors and headers', () => {
  it('unknown routes are JSON 404s; security headers are set', async () => {
    const res = await h.call('GET', '/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('/metrics', () => {
  it('needs an admin key or operator credentials', async () => {
    expect((await h.call('GET', '/metrics')).status).toBe(401);
    expect((await h.call('GET', '/metrics', { headers: { authorization: basic('operator', 'wrong-password') } })).status).toBe(401);
    const ok = await h.call('GET', '/metrics', { headers: { authorization: basic('operator', OPERATOR_PASSWORD) } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('wad_api_http_requests_total{method="GET",route="/healthz",status="200"}');
    // labels are route templates, never concrete chat ids
    expect(ok.text).toContain('route="/v1/tenants/:chatId"');
    expect((await h.call('GET', '/metrics', { key: ADMIN_ENV_KEY })).status).toBe(200);
  });
});

describe('Bull Board', () => {
  it('asks for operator credentials', async () => {
    const res = await h.call('GET', '/admin/queues');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(res.body.error.code).toBe('AUTH.OPERATOR_REQUIRED');
    const wrongUser = await h.call('GET', '/admin/queues', { headers: { authorization: basic('admin', OPERATOR_PASSWORD) } });
    expect(wrongUser.status).toBe(401);
    // an API key, even the admin one, is not an operator login
    expect((await h.call('GET', '/admin/queues', { key: ADMIN_ENV_KEY })).status).toBe(401);
  });

  it('serves the board and lists every shard queue to the operator', async () => {
    const auth = { authorization: basic('operator', OPERATOR_PASSWORD) };
    const page = await h.call('GET', '/admin/queues', { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('https://fonts.googleapis.com');
    expect(csp).not.toContain('upgrade-insecure-requests');
    const script = /src="(static\/js\/main[^"]+)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    expect((await h.call('GET', `/admin/queues/${script}`, { headers: auth })).status).toBe(200);
    const api = await h.call('GET', '/admin/queues/api/queues', { headers: auth });
    expect(api.status).toBe(200);
    const names = (api.body.queues as { name: string }[]).map((q) => q.name).sort();
    expect(names).toEqual(Array.from({ length: SHARDS }, (_, i) => `send.{s${i}}`).sort());
  });
});

describe('without OPERATOR_PASSWORD', () => {
  it('does not mount the board, says so in the log, and /metrics takes only admin keys', async () => {
    const bare = await startHarness('api_noboard', { env: { OPERATOR_PASSWORD: undefined } });
    try {
      const res = await bare.call('GET', '/admin/queues', { headers: { authorization: basic('operator', OPERATOR_PASSWORD) } });
      expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect(bare.logs.join('')).toContain('Bull Board is NOT mounted');
      const m = await bare.call('GET', '/metrics', { headers: { authorization: basic('operator', OPERATOR_PASSWORD) } });
      expect(m.status).toBe(401);
    } finally {
      await bare.close();
    }
  });

  it('/readyz is 503 when Redis is unreachable', async () => {
    const dead = createQueueConnection({
      url: 'redis://127.0.0.1:1',
      role: 'producer',
      redis: { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null },
    });
    dead.on('error', () => undefined);
    const broken = await startHarness('api_noredis', { deps: (d) => ({ ...d, redis: dead }) });
    try {
      const res = await broken.call('GET', '/readyz');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'unavailable', checks: { postgres: 'ok', redis: 'error' } });
    } finally {
      await broken.close();
      dead.disconnect();
    }
  });
});
