import { AppError } from '@wa-dispatch/core';
import type { AuthJson, AuthJsonObject, AuthKeyWrites, AuthStateStore } from './auth-state.port.js';

/**
 * In-memory {@link AuthStateStore} with the same fencing rules as the
 * Postgres one; values are copied through JSON, as jsonb would. For tests,
 * benches and throwaway CLI runs, never for production (state dies with the
 * process).
 */
export class MemoryAuthStateStore implements AuthStateStore {
  private readonly rows = new Map<string, { epoch: bigint; creds: AuthJsonObject | null; keys: Map<string, AuthJson> }>();
  /** Every accepted write, for assertions. */
  readonly writes: { op: 'saveCreds' | 'setKeys' | 'wipe'; sessionId: string; epoch: bigint }[] = [];

  /** Creates the session row (the Postgres store needs `whatsapp_sessions` to exist too). */
  addSession(sessionId: string, epoch = 0n): void {
    if (!this.rows.has(sessionId)) this.rows.set(sessionId, { epoch, creds: null, keys: new Map() });
  }

  epochOf(sessionId: string): bigint | undefined {
    return this.rows.get(sessionId)?.epoch;
  }

  keyCount(sessionId: string): number {
    return this.rows.get(sessionId)?.keys.size ?? 0;
  }

  async loadCreds(sessionId: string): Promise<AuthJsonObject | null> {
    const creds = this.rows.get(sessionId)?.creds;
    return creds ? copy(creds) : null;
  }

  async saveCreds(sessionId: string, epoch: bigint, creds: AuthJsonObject): Promise<void> {
    const row = this.fence(sessionId, epoch);
    row.creds = copy(creds);
    this.writes.push({ op: 'saveCreds', sessionId, epoch });
  }

  async getKeys(sessionId: string, category: string, ids: readonly string[]): Promise<Record<string, AuthJson>> {
    const keys = this.rows.get(sessionId)?.keys;
    const out: Record<string, AuthJson> = {};
    for (const id of ids) {
      const v = keys?.get(keyOf(category, id));
      if (v !== undefined) out[id] = copy(v);
    }
    return out;
  }

  async setKeys(sessionId: string, epoch: bigint, data: AuthKeyWrites): Promise<void> {
    const row = this.fence(sessionId, epoch);
    for (const [category, entries] of Object.entries(data)) {
      for (const [id, value] of Object.entries(entries)) {
        if (value === null) row.keys.delete(keyOf(category, id));
        else row.keys.set(keyOf(category, id), copy(value));
      }
    }
    this.writes.push({ op: 'setKeys', sessionId, epoch });
  }

  async wipe(sessionId: string, epoch: bigint): Promise<void> {
    const row = this.fence(sessionId, epoch);
    row.creds = null;
    row.keys.clear();
    this.writes.push({ op: 'wipe', sessionId, epoch });
  }

  private fence(sessionId: string, epoch: bigint) {
    const row = this.rows.get(sessionId);
    if (!row) throw new AppError('SESSION.NOT_FOUND', 'session row does not exist');
    if (row.epoch > epoch) throw new AppError('SHARD.STALE_EPOCH', 'auth state was written under a newer lease epoch; write refused');
    row.epoch = epoch;
    return row;
  }
}

function keyOf(category: string, id: string): string {
  return `${category}\u0000${id}`;
}

function copy<T extends AuthJson>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
