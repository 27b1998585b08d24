/**
 * Request/reply for pairing codes between the API and the worker that holds
 * a linking session. Only that worker has the socket that can ask WhatsApp
 * for a code, and the API does not know which worker it is, so:
 *
 *   1. the API writes the request `${prefix}:pair:{sN}:<sid>` = `{"id","phone"}`
 *      (PX 15 s; one pending request per session, a newer one replaces it)
 *      and nudges the workers (SessionSignal);
 *   2. the worker holding the live session takes it (GET+DEL, so exactly one
 *      worker answers) and writes the reply `${prefix}:pair:{sN}:<sid>:<id>` =
 *      `{"code"}` or `{"error"}` (PX 30 s);
 *   3. the API polls the reply key until it appears or its wait ends.
 *
 * The phone number sits in Redis only while a request waits (seconds at most).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KeyLayout } from './key-layout.js';

export interface PairingRequestsOptions {
  redis: Redis;
  prefix: string;
  /** How long a request waits for a worker to take it (default 15 s). */
  requestTtlMs?: number;
}

export type PairingReply = { code: string } | { error: string; message?: string };

export interface PairingRequest {
  id: string;
  phone: string;
}

export class PairingRequests {
  private readonly keys: KeyLayout;

  constructor(private readonly o: PairingRequestsOptions) {
    this.keys = new KeyLayout(o.prefix);
  }

  /** API side: files a request; returns its id (publish the session signal next). */
  async ask(shard: number, sessionId: string, phone: string): Promise<string> {
    const id = randomUUID();
    await this.o.redis.set(this.keys.pairingRequestKey(shard, sessionId), JSON.stringify({ id, phone }), 'PX', this.o.requestTtlMs ?? 15_000);
    return id;
  }

  /** API side: the worker's reply, or null when none came within `timeoutMs`. */
  async awaitReply(shard: number, sessionId: string, id: string, timeoutMs: number, pollMs = 100): Promise<PairingReply | null> {
    const key = this.keys.pairingReplyKey(shard, sessionId, id);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [[, raw] = [null, null]] = ((await this.o.redis.multi().get(key).del(key).exec()) ?? []) as [unknown, unknown][];
      if (typeof raw === 'string') return JSON.parse(raw) as PairingReply;
      if (Date.now() >= deadline) {
        // nobody answered: withdraw the request if it is still ours, so no worker acts on it late
        const reqKey = this.keys.pairingRequestKey(shard, sessionId);
        const pending = await this.o.redis.get(reqKey);
        if (pending !== null && (JSON.parse(pending) as PairingRequest).id === id) await this.o.redis.del(reqKey);
        return null;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Worker side: takes the pending request of a session it holds (at most one taker). */
  async take(shard: number, sessionId: string): Promise<PairingRequest | null> {
    const key = this.keys.pairingRequestKey(shard, sessionId);
    const [[, raw] = [null, null]] = ((await this.o.redis.multi().get(key).del(key).exec()) ?? []) as [unknown, unknown][];
    if (typeof raw !== 'string') return null;
    try {
      const v = JSON.parse(raw) as Partial<PairingRequest>;
      return typeof v.id === 'string' && typeof v.phone === 'string' ? { id: v.id, phone: v.phone } : null;
    } catch {
      return null;
    }
  }

  /** Worker side: answers a request taken with {@link take}. */
  async reply(shard: number, sessionId: string, id: string, reply: PairingReply): Promise<void> {
    await this.o.redis.set(this.keys.pairingReplyKey(shard, sessionId, id), JSON.stringify(reply), 'PX', 30_000);
  }
}
