import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@wa-dispatch/testing';
import { AuthStateRepository, type AuthJsonObject } from './auth-state.repository.js';
import { createDb, type Db } from './prisma-client.js';

let tdb: TestDatabase;
let db: Db;
let repo: AuthStateRepository;

/** What the Baileys adapter hands over for a Buffer (BufferJSON.replacer): plain JSON. */
const buf = (b: Buffer) => ({ type: 'Buffer', data: b.toString('base64') });

beforeAll(async () => {
  tdb = await createTestDatabase('db_auth_state');
  db = createDb({ url: tdb.url, max: 3 });
  repo = new AuthStateRepository(db);
  await tdb.pool.query(`INSERT INTO tenants (chat_id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')`);
  await tdb.pool.query(
    `INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard) VALUES ('user_1', 1, 0), ('user_2', 2, 0), ('user_3', 3, 0)`,
  );
});

afterAll(async () => {
  await db?.$disconnect();
  await tdb?.drop();
});

async function keyCount(sessionId: string): Promise<number> {
  const { rows } = await tdb.pool.query(`SELECT count(*)::int AS n FROM whatsapp_auth_keys WHERE session_id = $1`, [sessionId]);
  return rows[0].n as number;
}

async function epochOf(sessionId: string): Promise<bigint> {
  const { rows } = await tdb.pool.query(`SELECT epoch::text AS e FROM whatsapp_sessions WHERE session_id = $1`, [sessionId]);
  return BigInt(rows[0].e as string);
}

describe('AuthStateRepository', () => {
  it('round-trips creds carrying encoded Buffers and records the epoch', async () => {
    expect(await repo.loadCreds('user_1')).toBeNull();
    const noise = Buffer.from([0, 1, 2, 250, 255]);
    const creds: AuthJsonObject = {
      noiseKey: { public: buf(noise), private: buf(Buffer.alloc(32, 7)) },
      registrationId: 12345,
      registered: false,
      me: { id: '5511912345678:3@s.whatsapp.net', name: 'Zé' },
      processedHistoryMessages: [],
      routingInfo: null,
    };
    await repo.saveCreds('user_1', 3n, creds);
    const back = await repo.loadCreds('user_1');
    expect(back).toEqual(creds);
    const pub = (back?.noiseKey as { public: { data: string } }).public.data;
    expect(Buffer.from(pub, 'base64').equals(noise)).toBe(true);
    expect(await epochOf('user_1')).toBe(3n);
  });

  it('writes, reads and deletes keys of any category in one call', async () => {
    await repo.setKeys('user_1', 3n, {
      'pre-key': { '1': { public: buf(Buffer.from('a')), private: buf(Buffer.from('b')) }, '2': { public: 'x', private: 'y' } },
      session: { '5511912345678.0': buf(Buffer.from('session-bytes')) },
      'lid-mapping': { '5511912345678': '123456789@lid' },
      'device-list': { '5511912345678': ['0', '3'] },
      tctoken: { '123456789@lid': { token: buf(Buffer.from('t')), timestamp: '1700000000' } },
      'identity-key': { '123456789.0': buf(Buffer.from('id')) },
    });
    expect(await keyCount('user_1')).toBe(7);
    expect(await repo.getKeys('user_1', 'pre-key', ['1', '2', '3'])).toEqual({
      '1': { public: buf(Buffer.from('a')), private: buf(Buffer.from('b')) },
      '2': { public: 'x', private: 'y' },
    });
    expect(await repo.getKeys('user_1', 'lid-mapping', ['5511912345678'])).toEqual({ '5511912345678': '123456789@lid' });
    expect(await repo.getKeys('user_1', 'device-list', ['5511912345678'])).toEqual({ '5511912345678': ['0', '3'] });
    expect(await repo.getKeys('user_1', 'session', [])).toEqual({});
    // keys are per session: another session sees none of them
    expect(await repo.getKeys('user_2', 'pre-key', ['1', '2'])).toEqual({});

    // null deletes, a value overwrites, both in the same write
    await repo.setKeys('user_1', 3n, { 'pre-key': { '1': null, '2': { public: 'x2', private: 'y2' } }, session: { '5511912345678.0': null } });
    expect(await repo.getKeys('user_1', 'pre-key', ['1', '2'])).toEqual({ '2': { public: 'x2', private: 'y2' } });
    expect(await repo.getKeys('user_1', 'session', ['5511912345678.0'])).toEqual({});
    expect(await keyCount('user_1')).toBe(5);
  });

  it('wipe drops creds and all keys of that session only', async () => {
    await repo.saveCreds('user_2', 1n, { registered: true });
    await repo.setKeys('user_2', 1n, { 'pre-key': { '9': 'v' } });
    await repo.saveCreds('user_3', 1n, { registered: true });
    await repo.setKeys('user_3', 1n, { 'pre-key': { '9': 'v' } });
    await repo.wipe('user_2', 1n);
    expect(await repo.loadCreds('user_2')).toBeNull();
    expect(await keyCount('user_2')).toBe(0);
    expect(await repo.loadCreds('user_3')).toEqual({ registered: true });
    expect(await keyCount('user_3')).toBe(1);
  });

  it('refuses every write from a stale epoch with SHARD.STALE_EPOCH and changes nothing', async () => {
    await repo.saveCreds('user_3', 5n, { registered: true, v: 5 });
    await repo.setKeys('user_3', 6n, { 'pre-key': { '9': 'v6' } });
    expect(await epochOf('user_3')).toBe(6n);
    const stale = { code: 'SHARD.STALE_EPOCH' };

    await expect(repo.saveCreds('user_3', 5n, { registered: false })).rejects.toMatchObject(stale);
    await expect(repo.setKeys('user_3', 4n, { 'pre-key': { '9': null, '10': 'new' }, session: { a: 'b' } })).rejects.toMatchObject(stale);
    await expect(repo.wipe('user_3', 2n)).rejects.toMatchObject(stale);

    expect(await repo.loadCreds('user_3')).toEqual({ registered: true, v: 5 });
    expect(await repo.getKeys('user_3', 'pre-key', ['9', '10'])).toEqual({ '9': 'v6' });
    expect(await repo.getKeys('user_3', 'session', ['a'])).toEqual({});
    expect(await epochOf('user_3')).toBe(6n);

    // the same epoch and a newer one still write
    await repo.saveCreds('user_3', 6n, { registered: true, v: 6 });
    await repo.setKeys('user_3', 7n, { 'pre-key': { '9': 'v7' } });
    expect(await repo.getKeys('user_3', 'pre-key', ['9'])).toEqual({ '9': 'v7' });
    expect(await epochOf('user_3')).toBe(7n);
  });

  it('reports a missing session row as SESSION.NOT_FOUND', async () => {
    await expect(repo.saveCreds('user_404', 1n, {})).rejects.toMatchObject({ code: 'SESSION.NOT_FOUND' });
    await expect(repo.setKeys('user_404', 1n, { 'pre-key': { '1': 'x' } })).rejects.toMatchObject({ code: 'SESSION.NOT_FOUND' });
  });
});
