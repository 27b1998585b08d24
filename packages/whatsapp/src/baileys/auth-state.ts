import {
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type CacheStore,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
  type UserFacingSocketConfig,
} from '@whiskeysockets/baileys';
import type { AuthJson, AuthJsonObject, AuthKeyWrites, AuthStateStore } from './auth-state.port.js';

export type BaileysLogger = NonNullable<UserFacingSocketConfig['logger']>;

/** Value -> plain JSON, Buffers/Uint8Arrays as `{type:'Buffer', data:'<base64>'}` (Baileys' BufferJSON). */
export function encodeAuthJson(value: unknown): AuthJson {
  return JSON.parse(JSON.stringify(value, BufferJSON.replacer)) as AuthJson;
}

/** Inverse of {@link encodeAuthJson}: BufferJSON objects come back as Buffers. */
export function decodeAuthJson<T>(json: AuthJson): T {
  return JSON.parse(JSON.stringify(json), BufferJSON.reviver) as T;
}

export interface SessionAuthStateOptions {
  store: AuthStateStore;
  sessionId: string;
  epoch: bigint;
  logger?: BaileysLogger;
  /** Called when a write is refused (`SHARD.STALE_EPOCH`, any other error too): the caller decides. */
  onWriteError?: (error: unknown, what: 'creds' | 'keys' | 'wipe') => void;
  /** Lifetime of a cached key (default 5 min, Baileys' own default). */
  keyCacheTtlMs?: number;
}

/**
 * A session's Baileys auth state over an {@link AuthStateStore}. The signal
 * key store is wrapped with Baileys' `makeCacheableSignalKeyStore` over a
 * per-session cache that is dropped on {@link dispose} (Baileys' default cache
 * runs an interval that would keep a closed session's keys alive).
 */
export class SessionAuthState {
  creds: AuthenticationCreds;
  readonly keys: SignalKeyStore;
  private readonly cache = new KeyCache();
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly o: SessionAuthStateOptions,
    creds: AuthenticationCreds,
  ) {
    this.creds = creds;
    this.cache.ttlMs = o.keyCacheTtlMs ?? 5 * 60_000;
    this.keys = makeCacheableSignalKeyStore(this.rawKeys(), o.logger, this.cache);
  }

  /** Loads stored creds, or fresh ones (the QR flow) when none were saved. */
  static async load(o: SessionAuthStateOptions): Promise<SessionAuthState> {
    const stored = await o.store.loadCreds(o.sessionId);
    const creds = stored ? decodeAuthJson<AuthenticationCreds>(stored) : initAuthCreds();
    return new SessionAuthState(o, creds);
  }

  /** The object handed to `makeWASocket({auth})`; Baileys mutates `creds` in place. */
  get state(): AuthenticationState {
    return { creds: this.creds, keys: this.keys };
  }

  /** true once a phone has linked these creds (a QR was scanned). */
  registered(): boolean {
    return this.creds.registered === true || typeof this.creds.me?.id === 'string';
  }

  /**
   * Merges a `creds.update` and persists the whole creds, fenced. Saves run one
   * at a time, in order. Rejects when the write is refused.
   */
  saveCreds(update?: Partial<AuthenticationCreds>): Promise<void> {
    if (update) Object.assign(this.creds, update);
    const run = async (): Promise<void> => {
      try {
        await this.o.store.saveCreds(this.o.sessionId, this.o.epoch, encodeAuthJson(this.creds) as AuthJsonObject);
      } catch (e) {
        this.o.onWriteError?.(e, 'creds');
        throw e;
      }
    };
    const next = this.saving.then(run);
    this.saving = next.catch(() => undefined);
    return next;
  }

  /** Waits for queued creds saves (errors were already reported). */
  flushed(): Promise<void> {
    return this.saving;
  }

  /** Logout: wipes the stored state (fenced) and starts over with fresh creds in memory. */
  async wipe(): Promise<void> {
    await this.saving;
    this.creds = initAuthCreds();
    this.cache.flushAll();
    try {
      await this.o.store.wipe(this.o.sessionId, this.o.epoch);
    } catch (e) {
      this.o.onWriteError?.(e, 'wipe');
      throw e;
    }
  }

  dispose(): void {
    this.cache.flushAll();
  }

  private rawKeys(): SignalKeyStore {
    const { store, sessionId, epoch } = this.o;
    return {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const rows = await store.getKeys(sessionId, type, ids);
        const out: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const [id, json] of Object.entries(rows)) {
          let value = decodeAuthJson<SignalDataTypeMap[T]>(json);
          if (type === 'app-state-sync-key' && value) {
            value = proto.Message.AppStateSyncKeyData.fromObject(value as object) as unknown as SignalDataTypeMap[T];
          }
          out[id] = value;
        }
        return out;
      },
      set: async (data: SignalDataSet) => {
        const writes: AuthKeyWrites = {};
        for (const [category, entries] of Object.entries(data)) {
          if (!entries) continue;
          const encoded: Record<string, AuthJson | null> = {};
          for (const [id, value] of Object.entries(entries)) {
            encoded[id] = value === null || value === undefined ? null : encodeAuthJson(value);
          }
          writes[category] = encoded;
        }
        try {
          await store.setKeys(sessionId, epoch, writes);
        } catch (e) {
          this.o.onWriteError?.(e, 'keys');
          throw e;
        }
      },
    };
  }
}

/** Minimal TTL cache for `makeCacheableSignalKeyStore`; expired entries are swept as it grows. */
class KeyCache implements CacheStore {
  ttlMs = 5 * 60_000;
  private readonly map = new Map<string, { value: unknown; expiresAt: number }>();
  private sweepAt = 1024;

  get<T>(key: string): T | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.map.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  set<T>(key: string, value: T): void {
    this.map.set(key, { value, expiresAt: Date.now() + this.ttlMs });
    if (this.map.size >= this.sweepAt) {
      const now = Date.now();
      for (const [k, e] of this.map) if (e.expiresAt <= now) this.map.delete(k);
      this.sweepAt = Math.max(1024, this.map.size * 2);
    }
  }

  del(key: string): void {
    this.map.delete(key);
  }

  flushAll(): void {
    this.map.clear();
  }
}
