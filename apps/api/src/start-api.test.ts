import { afterAll, beforeAll, expect, it } from 'vitest';
import { pino } from 'pino';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import { startApi } from './index.js';

// The production wiring (env -> db, Redis, producer, app, listen, close).
let tdb: TestDatabase;
let redis: TestRedis;

beforeAll(async () => {
  tdb = await createTestDatabase('api_start');
  redis = await createTestRedis('api_start');
});

afterAll(async () => {
  await redis?.close();
  await tdb?.drop();
});

it('starts from an environment, serves, and closes cleanly', async () => {
  const api = await startApi(
    { DATABASE_URL: tdb.url, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, PORT: '0', HOST: '127.0.0.1', SHARD_COUNT: '2' },
    { logger: pino({ level: 'silent' }) },
  );
  try {
    const res = await fetch(`http://127.0.0.1:${api.port}/readyz`);
    expect(res.status).toBe(200);
  } finally {
    await api.close();
  }
  expect(api.server.listening).toBe(false);
});

it('shows operators every queue on Bull Board: the shard queues, reminders and webhooks', async () => {
  const password = 'operator-password-for-start-api';
  const api = await startApi(
    {
      DATABASE_URL: tdb.url, REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, PORT: '0', HOST: '127.0.0.1', SHARD_COUNT: '2',
      OPERATOR_PASSWORD: password,
    },
    { logger: pino({ level: 'silent' }) },
  );
  try {
    const res = await fetch(`http://127.0.0.1:${api.port}/admin/queues/api/queues`, {
      headers: { authorization: `Basic ${Buffer.from(`operator:${password}`).toString('base64')}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['send.{s0}', 'send.{s1}', '{reminders}', '{webhooks}'].sort());
  } finally {
    await api.close();
  }
});

it('refuses a bad environment before opening anything', async () => {
  await expect(startApi({ DATABASE_URL: 'x' })).rejects.toMatchObject({ code: 'CONFIG.INVALID' });
});
