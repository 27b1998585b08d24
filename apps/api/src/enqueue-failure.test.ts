import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from './test-support/api-harness.js';

// Redis trouble after the row is written must not lose or fail the request:
// the row is durable and the worker's reconciler re-enqueues it.
const A = 7001n;
const PHONE = '5521987654321';
const TEXT = 'segredo do cliente';
let mode: 'throw' | 'hang' = 'throw';
let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness('api_enqfail', {
    deps: (d) => ({
      ...d,
      enqueueTimeoutMs: 100,
      producer: {
        allQueues: () => d.producer.allQueues(),
        enqueue: () => (mode === 'throw' ? Promise.reject(new Error('Connection is closed.')) : new Promise(() => undefined)),
      },
    }),
  });
  await h.seedTenant(A);
  key = (await h.seedKey('tenant', A)).key;
});

afterAll(async () => {
  await h?.close();
});

it.each(['throw', 'hang'] as const)('answers 202 when the enqueue %ss, with the row queued', async (m) => {
  mode = m;
  const started = Date.now();
  const res = await h.call('POST', `/v1/tenants/${A}/messages`, { key, body: { to: PHONE, text: TEXT } });
  expect(res.status).toBe(202);
  expect(Date.now() - started).toBeLessThan(2_000);
  const { rows } = await h.tdb.pool.query(`SELECT status FROM messages WHERE id = $1`, [res.body.id]);
  expect(rows).toEqual([{ status: 'queued' }]);
  const warn = h.logs.map((l) => JSON.parse(l)).find((l) => l.messageId === res.body.id);
  expect(warn).toMatchObject({ level: 40, chatId: A.toString() });
  expect(h.logs.join('')).not.toContain(PHONE);
  expect(h.logs.join('')).not.toContain(TEXT);
});
