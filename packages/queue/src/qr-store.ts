/**
 * The QR hand-off from the worker that holds a session to the API that shows
 * it: the worker puts each QR WhatsApp issues (and each rotation) here, the
 * API reads it for `GET …/session/qr`, the worker clears it when the link
 * completes, is refused or expires. Key: `${prefix}:qr:{sN}:<sessionId>`
 * (shard N's hash tag), value `{"qr","expiresAt"}` JSON, PX ttl = the QR's
 * remaining lifetime, so a QR nobody cleared still vanishes when it expires.
 */
import type { Redis } from 'ioredis';
import { KeyLayout } from './key-layout.js';

export interface QrStoreOptions {
  redis: Redis;
  prefix: string;
}

export interface StoredQr {
  qr: string;
  expiresAt: Date;
}

export class QrStore {
  private readonly keys: KeyLayout;

  constructor(private readonly o: QrStoreOptions) {
    this.keys = new KeyLayout(o.prefix);
  }

  /** Stores the session's live QR; a QR already past its expiry is not stored (and the old one is removed). */
  async put(shard: number, sessionId: string, qr: string, expiresAt: Date): Promise<void> {
    const key = this.keys.qrKey(shard, sessionId);
    const ttl = Math.ceil(expiresAt.getTime() - Date.now());
    if (ttl <= 0) {
      await this.o.redis.del(key);
      return;
    }
    await this.o.redis.set(key, JSON.stringify({ qr, expiresAt: expiresAt.getTime() }), 'PX', ttl);
  }

  async get(shard: number, sessionId: string): Promise<StoredQr | null> {
    const raw = await this.o.redis.get(this.keys.qrKey(shard, sessionId));
    if (raw === null) return null;
    try {
      const v = JSON.parse(raw) as { qr?: unknown; expiresAt?: unknown };
      if (typeof v.qr !== 'string' || typeof v.expiresAt !== 'number' || v.expiresAt <= Date.now()) return null;
      return { qr: v.qr, expiresAt: new Date(v.expiresAt) };
    } catch {
      return null;
    }
  }

  async clear(shard: number, sessionId: string): Promise<void> {
    await this.o.redis.del(this.keys.qrKey(shard, sessionId));
  }
}
