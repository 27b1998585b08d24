/**
 * Redis key layout — the only place key names are built. Invariants:
 *
 *   ${prefix}:send.{sN}:…     BullMQ keys of shard N's send queue (BullMQ's own
 *                             `prefix` option is `${prefix}`, queue name `send.{sN}`)
 *   ${prefix}:lease:{sN}      shard N's lease, value `${workerId}:${epoch}`, PX ttl
 *   ${prefix}:epoch:{sN}      shard N's fencing counter; INCR only, never expires,
 *                             so epochs never go backwards after a lease expires
 *   ${prefix}:workers         sorted set of live workers, score = expiry (Redis TIME, ms)
 *   ${prefix}:{reminders}:…   BullMQ keys of the reminders queue
 *   ${prefix}:{webhooks}:…    BullMQ keys of the webhooks queue
 *   ${prefix}:signal:sessions pub/sub channel for session-change nudges (not a key)
 *   ${prefix}:qr:{sN}:<sid>   the live QR of session <sid> (shard N) while it is linking:
 *                             `{"qr","expiresAt"}` JSON, PX ttl to the QR's expiry (QrStore)
 *   ${prefix}:pair:{sN}:<sid>       a pending pairing-code request `{"id","phone"}`, PX 15 s
 *   ${prefix}:pair:{sN}:<sid>:<id>  the worker's reply `{"code"}` / `{"error"}`, PX 30 s
 *                             (PairingRequests; the phone sits there only while a request waits)
 *
 * Redis Cluster hashes only the text inside the first `{…}` of a key, so every
 * key of shard N carries `{sN}` and lives in one slot (one Lua call may touch
 * a shard's lease, epoch and queue keys). BullMQ's scripts touch many keys of
 * one queue at once, which is why the non-shard queues carry a tag too. The
 * prefix itself must therefore contain no braces; colons are refused because
 * BullMQ splits some keys on ':' by position.
 */
import { AppError, sendQueueName, shardTag } from '@wa-dispatch/core';

export const DEFAULT_KEY_PREFIX = 'wad';

/** Queue names are part of the key layout: renaming one orphans its jobs. */
export const REMINDERS_QUEUE_NAME = '{reminders}';
export const WEBHOOKS_QUEUE_NAME = '{webhooks}';

const PREFIX_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export class KeyLayout {
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_KEY_PREFIX) {
    if (!PREFIX_PATTERN.test(prefix)) {
      throw new AppError('CONFIG.INVALID', 'Redis key prefix must match [A-Za-z0-9_.-]{1,64}', {
        details: { prefix },
      });
    }
    this.prefix = prefix;
  }

  /** Value for BullMQ's `prefix` option on every Queue/Worker/QueueEvents. */
  get bullPrefix(): string {
    return this.prefix;
  }

  sendQueueName(shard: number): string {
    return sendQueueName(shard);
  }

  /** The `${prefix}:${queue}` stem BullMQ puts in front of all of a queue's keys. */
  queueKeyStem(queueName: string): string {
    return `${this.prefix}:${queueName}`;
  }

  leaseKey(shard: number): string {
    return `${this.prefix}:lease:${shardTag(shard)}`;
  }

  epochKey(shard: number): string {
    return `${this.prefix}:epoch:${shardTag(shard)}`;
  }

  workersKey(): string {
    return `${this.prefix}:workers`;
  }

  sessionSignalChannel(): string {
    return `${this.prefix}:signal:sessions`;
  }

  qrKey(shard: number, sessionId: string): string {
    return `${this.prefix}:qr:${shardTag(shard)}:${sessionId}`;
  }

  pairingRequestKey(shard: number, sessionId: string): string {
    return `${this.prefix}:pair:${shardTag(shard)}:${sessionId}`;
  }

  pairingReplyKey(shard: number, sessionId: string, requestId: string): string {
    return `${this.pairingRequestKey(shard, sessionId)}:${requestId}`;
  }
}
