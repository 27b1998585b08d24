import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@wa-dispatch/testing';
import { createDb, type Db } from './prisma-client.js';
import { ApiKeyRepository } from './api-key.repository.js';

let tdb: TestDatabase;
let db: Db;
let repo: ApiKeyRepository;
const hash = (c: string) => c.repeat(64);

beforeAll(async () => {
  tdb = await createTestDatabase('db_apikey');
  db = createDb({ url: tdb.url, max: 2 });
  repo = new ApiKeyRepository(db);
  await tdb.pool.query(`INSERT INTO tenants (chat_id, name) VALUES (7, 'T')`);
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

describe('ApiKeyRepository', () => {
  it('stores and finds keys by hash', async () => {
    const k = await repo.create({ hash: hash('a'), prefix: 'wad_t_abcdef', scope: 'tenant', chatId: 7n, label: 'x' });
    const found = await repo.findByHash(hash('a'));
    expect(found).toMatchObject({ id: k.id, scope: 'tenant', chatId: 7n, revokedAt: null });
    expect(await repo.findByHash(hash('b'))).toBeNull();
  });

  it('revokes once and reports unknown ids', async () => {
    const k = await repo.create({ hash: hash('c'), prefix: 'wad_s_abcdef', scope: 'service' });
    expect(await repo.revoke(k.id)).toBe(true);
    const first = (await repo.findById(k.id))?.revokedAt;
    expect(first).toBeInstanceOf(Date);
    expect(await repo.revoke(k.id)).toBe(true);
    expect((await repo.findById(k.id))?.revokedAt).toEqual(first);
    expect(await repo.revoke('0190a000-0000-7000-8000-000000000000')).toBe(false);
  });

  it('throttles last_used_at writes', async () => {
    const k = await repo.create({ hash: hash('d'), prefix: 'wad_a_abcdef', scope: 'admin' });
    await repo.touchLastUsed(k.id);
    const first = (await repo.findById(k.id))?.lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    await repo.touchLastUsed(k.id);
    expect((await repo.findById(k.id))?.lastUsedAt).toEqual(first);
    await repo.touchLastUsed(k.id, 0);
    expect((await repo.findById(k.id))?.lastUsedAt?.getTime()).toBeGreaterThanOrEqual(first!.getTime());
  });
});
