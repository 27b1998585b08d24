import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthStateRepository, createDb, type Db } from '@wa-dispatch/db';
import { createTestDatabase, type TestDatabase } from '@wa-dispatch/testing';
import { SessionAuthState } from '@wa-dispatch/whatsapp';
import { insertTenant } from './support/tenant-fixtures.js';

// Baileys' auth state through the real Postgres store: the creds and signal
// keys a worker writes come back byte for byte in another worker (a restart
// or a shard moving), and a worker holding an older lease epoch cannot write.
let tdb: TestDatabase;
let db: Db;

beforeAll(async () => {
  tdb = await createTestDatabase('baileys_auth');
  db = createDb({ url: tdb.url, max: 2 });
  await insertTenant(tdb.pool, 77n, 4);
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

describe('SessionAuthState over AuthStateRepository (real Postgres)', () => {
  it('creds and keys, Buffers included, survive a reload in a new "worker"', async () => {
    const store = new AuthStateRepository(db);
    const first = await SessionAuthState.load({ store, sessionId: 'user_77', epoch: 3n });
    const noiseKey = Buffer.from(first.creds.noiseKey.private);
    await first.saveCreds({ me: { id: '5511987650077:12@s.whatsapp.net' }, registered: true });
    const preKey = { public: Buffer.from([1, 2, 3, 250]), private: Buffer.from([9, 8, 7, 0]) };
    await first.state.keys.set({
      'pre-key': { '1': preKey },
      session: { '5511987650077.0': Buffer.from('session-bytes') },
      'lid-mapping': { '5511987650077': '1234567@lid' } as never,
    });
    first.dispose();

    const second = await SessionAuthState.load({ store, sessionId: 'user_77', epoch: 4n });
    expect(second.registered()).toBe(true);
    expect(Buffer.isBuffer(second.creds.noiseKey.private)).toBe(true);
    expect(Buffer.from(second.creds.noiseKey.private).equals(noiseKey)).toBe(true);
    const keys = await second.state.keys.get('pre-key', ['1', '2']);
    expect(Buffer.from(keys['1']!.public).equals(preKey.public)).toBe(true);
    expect(Buffer.from(keys['1']!.private).equals(preKey.private)).toBe(true);
    expect(keys['2']).toBeUndefined();
    const sessions = await second.state.keys.get('session', ['5511987650077.0']);
    expect(Buffer.from(sessions['5511987650077.0'] as Uint8Array).toString()).toBe('session-bytes');
    const { rows } = await tdb.pool.query(
      `SELECT category, count(*)::int AS n FROM whatsapp_auth_keys WHERE session_id = 'user_77' GROUP BY category ORDER BY category`,
    );
    expect(rows).toEqual([
      { category: 'lid-mapping', n: 1 },
      { category: 'pre-key', n: 1 },
      { category: 'session', n: 1 },
    ]);

    // deletes are writes too
    await second.state.keys.set({ 'pre-key': { '1': null } });
    second.dispose();
    const third = await SessionAuthState.load({ store, sessionId: 'user_77', epoch: 4n });
    expect((await third.state.keys.get('pre-key', ['1']))['1']).toBeUndefined();
    third.dispose();
  });

  it('a worker on an older epoch can neither save creds nor keys', async () => {
    const store = new AuthStateRepository(db);
    const errors: string[] = [];
    const stale = await SessionAuthState.load({
      store,
      sessionId: 'user_77',
      epoch: 2n,
      onWriteError: (e) => errors.push((e as { code?: string }).code ?? String(e)),
    });
    await expect(stale.saveCreds({ me: { id: '5599999999999@s.whatsapp.net' } })).rejects.toMatchObject({ code: 'SHARD.STALE_EPOCH' });
    const { rows } = await tdb.pool.query(`SELECT epoch, creds->'me'->>'id' AS me FROM whatsapp_sessions WHERE session_id = 'user_77'`);
    expect(rows[0]).toEqual({ epoch: '4', me: '5511987650077:12@s.whatsapp.net' });
    expect(errors).toContain('SHARD.STALE_EPOCH');
    stale.dispose();
  });
});
