import { describe, expect, it } from 'vitest';
import { assertTestDatabaseUrl, createTestDatabase, createTestRedis } from '@wa-dispatch/testing';

// The harness is what lets test files run in parallel on one machine: each
// gets its own schema and Redis prefix, and nothing can point it at real data.
describe('test database guard', () => {
  it.each([
    'postgresql://postgres@127.0.0.1:5432/wa_dispatch',
    'postgresql://postgres@127.0.0.1:5432/postgres',
    'postgresql://postgres@db.example.com:5432/test',
    'postgresql://postgres@10.0.0.5:5432/app_test',
    'not a url',
  ])('refuses %s', (url) => {
    expect(() => assertTestDatabaseUrl(url)).toThrow(/DB\.TEST_URL_REFUSED/);
  });

  it.each([
    'postgresql://postgres@127.0.0.1:5432/test',
    'postgresql://postgres@localhost/wa_dispatch_test',
    'postgresql://postgres@[::1]:5432/test_ci',
  ])('accepts %s', (url) => {
    expect(() => assertTestDatabaseUrl(url)).not.toThrow();
  });
});

describe('isolation between test files', () => {
  it('gives each caller its own schema with the migrations applied, and drops it', async () => {
    const [a, b] = await Promise.all([createTestDatabase('harness'), createTestDatabase('harness')]);
    try {
      expect(a.schema).not.toBe(b.schema);
      await a.pool.query(`INSERT INTO tenants (chat_id, name) VALUES (1, 'only in a')`);
      const { rows } = await b.pool.query(`SELECT count(*)::int AS n FROM tenants`);
      expect(rows[0].n).toBe(0);
      expect(new URL(a.url).searchParams.get('schema')).toBe(a.schema);
    } finally {
      await a.drop();
      await b.drop();
    }
    const probe = await createTestDatabase('harness');
    try {
      const { rows } = await probe.pool.query(`SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = $1`, [a.schema]);
      expect(rows[0].n).toBe(0);
    } finally {
      await probe.drop();
    }
  });

  it('gives each caller its own Redis prefix and wipes only its own keys', async () => {
    const [a, b] = await Promise.all([createTestRedis('harness'), createTestRedis('harness')]);
    try {
      await a.client.set(`${a.prefix}:k`, '1');
      await b.client.set(`${b.prefix}:k`, '2');
      expect(await a.wipe()).toBe(1);
      expect(await b.client.get(`${b.prefix}:k`)).toBe('2');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
