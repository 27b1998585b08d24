import { afterAll, beforeAll, expect, it } from 'vitest';
import { shardOf } from '@wa-dispatch/core';
import { ADMIN_ENV_KEY, SHARDS, startHarness, type Harness } from './test-support/api-harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('api_tenants');
});

afterAll(async () => {
  await h?.close();
});

const create = (body: unknown) => h.call('POST', '/v1/tenants', { key: ADMIN_ENV_KEY, body });

it('creates the tenant with its own unlinked session on its shard', async () => {
  const res = await create({ chatId: '-1001234567890', name: 'Loja da Ana' });
  expect([res.status, res.body]).toEqual([201, { chatId: '-1001234567890', sessionId: 'user_-1001234567890' }]);
  const { rows } = await h.tdb.pool.query(`SELECT session_id, status, shard FROM whatsapp_sessions WHERE chat_id_usuario = -1001234567890`);
  expect(rows).toEqual([{ session_id: 'user_-1001234567890', status: 'unlinked', shard: shardOf(-1001234567890n, SHARDS) }]);
  const view = await h.call('GET', '/v1/tenants/-1001234567890', { key: ADMIN_ENV_KEY });
  expect(view.body).toMatchObject({ chatId: '-1001234567890', name: 'Loja da Ana', status: 'active', session: { status: 'unlinked', linkedNumber: null } });
  expect((await create({ chatId: 77, name: 'numeric id' })).status).toBe(201);
});

it('refuses a duplicate with 409 and writes nothing', async () => {
  await create({ chatId: '555', name: 'first' });
  const before = await h.counts();
  const dup = await create({ chatId: 555, name: 'second' });
  expect([dup.status, dup.body.error.code]).toEqual([409, 'TENANT.ALREADY_EXISTS']);
  expect(await h.counts()).toEqual(before);
});

it.each([
  [{ chatId: 'abc', name: 'x' }, 'CHAT_ID.INVALID'],
  [{ chatId: 0, name: 'x' }, 'CHAT_ID.INVALID'],
  [{ chatId: 2 ** 53 + 2, name: 'x' }, 'CHAT_ID.INVALID'],
  [{ chatId: '99999999999999999999', name: 'x' }, 'CHAT_ID.INVALID'],
  [{ chatId: '12', name: '' }, 'VALIDATION.INVALID_BODY'],
  [{ chatId: '12', name: 'x'.repeat(201) }, 'VALIDATION.INVALID_BODY'],
  [{ chatId: '12', name: 'x', sessionId: 'bot_clientes' }, 'VALIDATION.INVALID_BODY'],
  [{ chatId: '12' }, 'VALIDATION.INVALID_BODY'],
])('rejects %j with %s', async (body, code) => {
  const before = await h.counts();
  const res = await create(body);
  expect([res.status, res.body.error.code]).toEqual([400, code]);
  expect(await h.counts()).toEqual(before);
});

it('a tenant key for an unknown tenant cannot be made', async () => {
  const res = await h.call('POST', '/v1/tenants/31337/api-keys', { key: ADMIN_ENV_KEY, body: { label: 'x' } });
  expect([res.status, res.body.error.code]).toEqual([404, 'TENANT.NOT_FOUND']);
  const wrongScope = await h.call('POST', '/v1/tenants/555/api-keys', { key: ADMIN_ENV_KEY, body: { scope: 'admin' } });
  expect([wrongScope.status, wrongScope.body.error.code]).toEqual([400, 'VALIDATION.INVALID_BODY']);
});

it('service and admin keys are made at /v1/api-keys and work at once', async () => {
  const svc = await h.call('POST', '/v1/api-keys', { key: ADMIN_ENV_KEY, body: { scope: 'service', label: 'billing-bot' } });
  expect(svc.status).toBe(201);
  expect(svc.body).toMatchObject({ scope: 'service', chatId: null, key: expect.stringMatching(/^wad_s_/) });
  expect((await h.call('GET', '/v1/tenants/555', { key: svc.body.key })).status).toBe(200);
  const bad = await h.call('POST', '/v1/api-keys', { key: ADMIN_ENV_KEY, body: { scope: 'tenant', label: 'x' } });
  expect(bad.status).toBe(400);
});
