import { AppError } from './app-error.js';
import { formatChatId } from './chat-id.js';
import { fmix32, fnv1a32 } from './stable-hash.js';

export const MAX_SHARD_COUNT = 1024;

const encoder = new TextEncoder();

function assertShardCount(shardCount: number): void {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARD_COUNT) {
    throw new AppError('CONFIG.INVALID', `shardCount must be an integer in 1..${MAX_SHARD_COUNT}`, {
      details: { shardCount },
    });
  }
}

function assertShard(shard: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= MAX_SHARD_COUNT) {
    throw new AppError('CONFIG.INVALID', `shard must be an integer in 0..${MAX_SHARD_COUNT - 1}`, {
      details: { shard },
    });
  }
}

/**
 * Shard owning a tenant. Placement is persisted implicitly (leases, queues),
 * so this must be identical across processes, versions and machines:
 *
 *   fmix32(FNV-1a-32(UTF-8 bytes of the decimal chat_id, e.g. "-1001234"))
 *     mod shardCount
 *
 * Plain FNV-1a mixes its low bits poorly on short decimal strings (measured:
 * ~2x the expected imbalance at 256 shards over sequential ids), so the
 * murmur3 finaliser spreads all bits before the modulo. Changing any part of
 * this reshuffles every tenant; the pinned-values test guards against it.
 */
export function shardOf(chatId: bigint, shardCount: number): number {
  assertShardCount(shardCount);
  const hash = fmix32(fnv1a32(encoder.encode(formatChatId(chatId))));
  return hash % shardCount;
}

/** Redis Cluster hash tag, so every key of one shard lands in one slot. */
export function shardTag(shard: number): string {
  assertShard(shard);
  return `{s${shard}}`;
}

/** BullMQ forbids ':' in queue names, hence the dot. */
export function sendQueueName(shard: number): string {
  return `send.${shardTag(shard)}`;
}
