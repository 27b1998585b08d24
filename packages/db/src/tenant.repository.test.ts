import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@wa-dispatch/testing';
import { createDb, type Db } from './prisma-client.js';
import { TenantRepository } from './tenant.repository.js';

let tdb: TestDatabase;
let db: Db;
let repo: TenantRepository;

beforeAll(async () => {
  tdb = await createTestDatabase('db_tenant');
  db = createDb({ url: tdb.url, max: 2 });
  repo = new TenantRepository(db);
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

describe('TenantRepository', () => {
  it('creates the tenant and its own unlinked session together', async () => {
    const t = await repo.createWithSession({ chatId: -1001234567890n, name: 'Group', shard: 7 });
    expect(t.session).toMatchObject({ sessionId: 'user_-1001234567890', status: 'unlinked', shard: 7 });
    const found = await repo.findWithSession(-1001234567890n);
    expect(found?.name).toBe('Group');
    expect(found?.session?.sessionId).toBe('user_-1001234567890');
  });

  it('refuses a duplicate with TENANT.ALREADY_EXISTS and leaves no partial rows', async () => {
    await repo.createWithSession({ chatId: 42n, name: 'A', shard: 1 });
    await expect(repo.createWithSession({ chatId: 42n, name: 'B', shard: 1 })).rejects.toMatchObject({
      code: 'TENANT.ALREADY_EXISTS',
    });
    const { rows } = await tdb.pool.query(`SELECT count(*)::int AS n FROM whatsapp_sessions WHERE chat_id_usuario = 42`);
    expect(rows[0].n).toBe(1);
    expect((await repo.findWithSession(42n))?.name).toBe('A');
  });

  it('rolls the tenant back when the session cannot be written', async () => {
    await expect(repo.createWithSession({ chatId: 43n, name: 'C', shard: 5000 })).rejects.toBeTruthy();
    expect(await repo.exists(43n)).toBe(false);
  });

  it('returns null for an unknown tenant', async () => {
    expect(await repo.findWithSession(999n)).toBeNull();
  });
});
