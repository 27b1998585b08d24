import { AppError } from '@wa-dispatch/core';
import type { Prisma } from './generated/prisma/client.js';
import type { Db } from './prisma-client.js';

/** Plain JSON: the Baileys adapter encodes Buffers before they get here (this package never imports Baileys). */
export type AuthJson = string | number | boolean | null | AuthJson[] | { [key: string]: AuthJson };
export type AuthJsonObject = { [key: string]: AuthJson };
/** `{category: {keyId: value | null}}`; null deletes the key. */
export type AuthKeyWrites = Record<string, Record<string, AuthJson | null>>;

type Tx = Prisma.TransactionClient;

/**
 * Baileys auth state in Postgres: creds on `whatsapp_sessions.creds`, signal
 * keys in the generic `whatsapp_auth_keys (session_id, category, key_id,
 * value)` table (any category string). Implements the `AuthStateStore` port of
 * `@wa-dispatch/whatsapp` structurally.
 *
 * Every write is fenced by the shard-lease epoch: it lands only when the
 * session row's epoch is <= the writer's, and raises the row's epoch to the
 * writer's. Key writes and wipes lock the session row first (`FOR UPDATE`) so a
 * concurrent write from a newer holder cannot interleave. A refused write
 * throws `SHARD.STALE_EPOCH` and changes nothing.
 */
export class AuthStateRepository {
  constructor(private readonly db: Db) {}

  async loadCreds(sessionId: string): Promise<AuthJsonObject | null> {
    const row = await this.db.whatsappSession.findUnique({ where: { sessionId }, select: { creds: true } });
    const creds = row?.creds;
    return typeof creds === 'object' && creds !== null && !Array.isArray(creds) ? (creds as AuthJsonObject) : null;
  }

  async saveCreds(sessionId: string, epoch: bigint, creds: AuthJsonObject): Promise<void> {
    const res = await this.db.whatsappSession.updateMany({
      where: { sessionId, epoch: { lte: epoch } },
      data: { creds: creds as Prisma.InputJsonObject, epoch },
    });
    if (res.count === 1) return;
    const row = await this.db.whatsappSession.findUnique({ where: { sessionId }, select: { epoch: true } });
    if (!row) throw notFound();
    throw stale(epoch, row.epoch);
  }

  async getKeys(sessionId: string, category: string, ids: readonly string[]): Promise<Record<string, AuthJson>> {
    const out: Record<string, AuthJson> = {};
    if (ids.length === 0) return out;
    const rows = await this.db.whatsappAuthKey.findMany({
      where: { sessionId, category, keyId: { in: [...ids] } },
      select: { keyId: true, value: true },
    });
    for (const row of rows) out[row.keyId] = row.value as AuthJson;
    return out;
  }

  async setKeys(sessionId: string, epoch: bigint, data: AuthKeyWrites): Promise<void> {
    const up = { categories: [] as string[], ids: [] as string[], values: [] as string[] };
    const del = { categories: [] as string[], ids: [] as string[] };
    for (const [category, entries] of Object.entries(data)) {
      for (const [id, value] of Object.entries(entries ?? {})) {
        if (value === null || value === undefined) {
          del.categories.push(category);
          del.ids.push(id);
        } else {
          up.categories.push(category);
          up.ids.push(id);
          up.values.push(JSON.stringify(value));
        }
      }
    }
    await this.db.$transaction(async (tx) => {
      await fence(tx, sessionId, epoch);
      if (del.ids.length > 0) {
        await tx.$executeRaw`
          DELETE FROM whatsapp_auth_keys k
          USING unnest(${del.categories}::text[], ${del.ids}::text[]) AS d(category, key_id)
          WHERE k.session_id = ${sessionId} AND k.category = d.category AND k.key_id = d.key_id`;
      }
      if (up.ids.length > 0) {
        await tx.$executeRaw`
          INSERT INTO whatsapp_auth_keys (session_id, category, key_id, value, updated_at)
          SELECT ${sessionId}, u.category, u.key_id, u.value::jsonb, now()
          FROM unnest(${up.categories}::text[], ${up.ids}::text[], ${up.values}::text[]) AS u(category, key_id, value)
          ON CONFLICT (session_id, category, key_id) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`;
      }
    });
  }

  /** Logout: drops creds and every key; the session row itself stays (it belongs to the tenant). */
  async wipe(sessionId: string, epoch: bigint): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await fence(tx, sessionId, epoch);
      await tx.$executeRaw`DELETE FROM whatsapp_auth_keys WHERE session_id = ${sessionId}`;
      await tx.$executeRaw`UPDATE whatsapp_sessions SET creds = NULL, updated_at = now() WHERE session_id = ${sessionId}`;
    });
  }
}

/** Locks the session row, refuses a stale epoch, records a newer one. */
async function fence(tx: Tx, sessionId: string, epoch: bigint): Promise<void> {
  const rows = await tx.$queryRaw<{ epoch: bigint }[]>`
    SELECT epoch FROM whatsapp_sessions WHERE session_id = ${sessionId} FOR UPDATE`;
  const row = rows[0];
  if (!row) throw notFound();
  const current = BigInt(row.epoch);
  if (current > epoch) throw stale(epoch, current);
  if (current < epoch) {
    await tx.$executeRaw`UPDATE whatsapp_sessions SET epoch = ${epoch} WHERE session_id = ${sessionId}`;
  }
}

function stale(epoch: bigint, current: bigint): AppError {
  return new AppError('SHARD.STALE_EPOCH', 'auth state was written under a newer lease epoch; write refused', {
    details: { epoch: epoch.toString(), currentEpoch: current.toString() },
  });
}

function notFound(): AppError {
  return new AppError('SESSION.NOT_FOUND', 'session row does not exist');
}
