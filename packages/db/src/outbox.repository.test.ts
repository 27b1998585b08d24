import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, seedTenants, type TestDatabase } from '@wa-dispatch/testing';
import { createDb, type Db } from './prisma-client.js';
import { OutboxRepository } from './outbox.repository.js';

let tdb: TestDatabase;
let db: Db;
let repo: OutboxRepository;
const base = { sessionId: 'user_11', chatId: 11n, toPhone: '5511912345678', text: 'olá' };

beforeAll(async () => {
  tdb = await createTestDatabase('db_outbox');
  db = createDb({ url: tdb.url, max: 6 });
  repo = new OutboxRepository(db);
  await seedTenants(tdb.pool, [11n, 12n]);
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

describe('OutboxRepository', () => {
  it('inserts a queued row with its first timeline event', async () => {
    const { created, message } = await repo.insertQueued(base);
    expect(created).toBe(true);
    expect(message).toMatchObject({ chatId: 11n, sessionId: 'user_11', status: 'queued' });
    expect(message.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const view = await repo.findForTenant(11n, message.id);
    expect(view?.text).toBe('olá');
    expect(view?.events.map((e) => e.status)).toEqual(['queued']);
  });

  it('hides a row from another tenant', async () => {
    const { message } = await repo.insertQueued(base);
    expect(await repo.findForTenant(12n, message.id)).toBeNull();
  });

  it('returns the existing row for a reused idempotency key, even under a race', async () => {
    const input = { ...base, idempotencyKey: 'k-race', requestHash: 'a'.repeat(64) };
    const results = await Promise.all(Array.from({ length: 8 }, () => repo.insertQueued(input)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    const { rows } = await tdb.pool.query(`SELECT count(*)::int AS n FROM messages WHERE idempotency_key = 'k-race'`);
    expect(rows[0].n).toBe(1);
    const events = await tdb.pool.query(
      `SELECT count(*)::int AS n FROM message_events WHERE message_id = $1`,
      [results[0]!.message.id],
    );
    expect(events.rows[0].n).toBe(1);
    // the same key is free for another tenant
    const other = await repo.insertQueued({ ...input, chatId: 12n, sessionId: 'user_12' });
    expect(other.created).toBe(true);
  });

  it('paginates newest first by id', async () => {
    await tdb.pool.query(`INSERT INTO tenants (chat_id, name) VALUES (13, 'C')`);
    await tdb.pool.query(`INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard) VALUES ('user_13', 13, 0)`);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await repo.insertQueued({ ...base, chatId: 13n, sessionId: 'user_13', text: `m${i}` })).message.id);
      await new Promise((r) => setTimeout(r, 2));
    }
    const p1 = await repo.listForTenant(13n, { limit: 2 });
    const p2 = await repo.listForTenant(13n, { limit: 2, cursor: p1.nextCursor! });
    const p3 = await repo.listForTenant(13n, { limit: 2, cursor: p2.nextCursor! });
    expect([...p1.items, ...p2.items, ...p3.items].map((m) => m.id)).toEqual([...ids].reverse());
    expect(p3.nextCursor).toBeNull();
    expect((await repo.listForTenant(13n, { limit: 10, status: 'sent' })).items).toEqual([]);
  });
});
