import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, seedTenants, type TestDatabase } from '@wa-dispatch/testing';
import { createDb, type Db } from './prisma-client.js';
import { SessionRepository } from './session.repository.js';

let tdb: TestDatabase;
let db: Db;
let sessions: SessionRepository;

beforeAll(async () => {
  tdb = await createTestDatabase('db_sessions');
  db = createDb({ url: tdb.url, max: 3 });
  sessions = new SessionRepository(db);
  await seedTenants(tdb.pool, [41n]);
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

const row = async () =>
  (await tdb.pool.query(`SELECT status::text, numero_whatsapp, epoch::int, linked_at, last_error FROM whatsapp_sessions WHERE session_id = 'user_41'`)).rows[0];

describe('SessionRepository.updateStatus', () => {
  it('keeps linked_at across reconnects and worker restarts (pacing warm-up counts from it)', async () => {
    expect(await sessions.updateStatus('user_41', 1n, 'connected', { numeroWhatsapp: '5511987650001', lastError: null })).toBe(true);
    const first = (await row()).linked_at as Date;
    expect(first).toBeInstanceOf(Date);
    await new Promise((r) => setTimeout(r, 20));
    // the socket drops and comes back; a new worker (higher epoch) reopens it
    await sessions.updateStatus('user_41', 1n, 'disconnected', { lastError: 'TRANSPORT.DISCONNECTED' });
    await sessions.updateStatus('user_41', 2n, 'connected', { numeroWhatsapp: '5511987650001', lastError: null });
    expect(await row()).toMatchObject({ status: 'connected', numero_whatsapp: '5511987650001', epoch: 2, linked_at: first, last_error: null });
  });

  it('starts linked_at again for another number, and after a logout', async () => {
    const before = (await row()).linked_at as Date;
    await new Promise((r) => setTimeout(r, 20));
    await sessions.updateStatus('user_41', 2n, 'connected', { numeroWhatsapp: '5511987650002' });
    const other = (await row()).linked_at as Date;
    expect(other.getTime()).toBeGreaterThan(before.getTime());

    expect(await sessions.logoutAndWipe('user_41')).toBe(true);
    expect((await row()).linked_at).toBeNull();
    await sessions.updateStatus('user_41', 2n, 'connected', { numeroWhatsapp: '5511987650002' });
    expect(((await row()).linked_at as Date).getTime()).toBeGreaterThan(other.getTime());
  });

  it('ignores a write under an older epoch (fencing)', async () => {
    const before = await row();
    expect(await sessions.updateStatus('user_41', 1n, 'banned', { lastError: 'stale' })).toBe(false);
    expect(await row()).toEqual(before);
  });
});
