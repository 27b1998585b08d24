/**
 * Where a Baileys session's auth state lives. The adapter (this package) does
 * all Baileys-specific (de)serialisation — Buffers become `BufferJSON`
 * objects `{type: 'Buffer', data: '<base64>'}` — so a store only ever sees
 * plain JSON and never imports Baileys. Implemented over Postgres by
 * `AuthStateRepository` in `@wa-dispatch/db`.
 *
 * Fencing: every write carries the shard-lease epoch under which the session
 * was opened. A store must refuse (AppError `SHARD.STALE_EPOCH`, nothing
 * written) a write whose epoch is lower than the one already recorded for the
 * session, and record the write's epoch otherwise, so a worker that lost its
 * lease can never overwrite what the new holder wrote.
 */
export type AuthJson = string | number | boolean | null | AuthJson[] | { [key: string]: AuthJson };
export type AuthJsonObject = { [key: string]: AuthJson };

/**
 * Signal-key writes: `{category: {keyId: value | null}}`; `null` deletes.
 * Categories are open-ended strings (`pre-key`, `session`, `sender-key`,
 * `app-state-sync-key`, `lid-mapping`, `device-list`, `tctoken`, ...).
 */
export type AuthKeyWrites = Record<string, Record<string, AuthJson | null>>;

export interface AuthStateStore {
  /** The stored creds, or null when the session never saved any (or was wiped). */
  loadCreds(sessionId: string): Promise<AuthJsonObject | null>;
  saveCreds(sessionId: string, epoch: bigint, creds: AuthJsonObject): Promise<void>;
  /** Only ids that exist are in the result. */
  getKeys(sessionId: string, category: string, ids: readonly string[]): Promise<Record<string, AuthJson>>;
  /** All of `data` is written in one transaction, or nothing is. */
  setKeys(sessionId: string, epoch: bigint, data: AuthKeyWrites): Promise<void>;
  /** Drops the creds and every key of the session (logout). */
  wipe(sessionId: string, epoch: bigint): Promise<void>;
}
