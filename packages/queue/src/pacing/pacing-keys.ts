/**
 * Redis keys of the pacing building blocks. All sit under the deployment
 * prefix and carry the tenant's shard hash tag, so one Lua call over one
 * tenant's keys stays in one Cluster slot:
 *
 *   ${prefix}:pace:{sN}:${chatId}:tat           GCRA TAT (ms)                 PX: until the TAT is past (+1 s)
 *   ${prefix}:pace:{sN}:${chatId}:r:${rhash}    last send to a recipient (ms) PX: recipientSpacingMs
 *   ${prefix}:pace:{sN}:${chatId}:known         SET of recipient hashes       no TTL (see below)
 *   ${prefix}:pace:{sN}:${chatId}:fc:${day}     first contacts sent on day    PX: day end + 1 h
 *   ${prefix}:pace:{sN}:${chatId}:fcq:${day}    jobs turned away that day     PX: day end + 1 h
 *   ${prefix}:pace:{sN}:${chatId}:park          ZSET ticket -> wake ms        PX: last wake + grace
 *   ${prefix}:pace:{sN}:${chatId}:admit         admission TAT (ms), enqueue   PX: until the TAT is past (+1 s)
 *   ${prefix}:restrict:{sN}:${chatId}:${kind}   restriction end (ms)          PXAT: that end
 *   ${prefix}:switches                          HASH all|automatic = 1|0      no TTL (mirrored from Postgres)
 *
 * An idle tenant therefore leaves only its `known` set behind: it is the
 * memory of "already messaged" that makes a recipient not a first contact.
 * Losing it (a Redis flush) is safe in the conservative direction: those
 * recipients count as first contacts again until they are messaged.
 *
 * `rhash` is an HMAC of (chatId, canonical phone), never the number itself;
 * `day` is `YYYY-MM-DD` in the tenant's time zone; chatId is decimal.
 */
import { formatChatId, shardTag } from '@wa-dispatch/core';
import { KeyLayout } from '../key-layout.js';

export class PacingKeys {
  readonly prefix: string;

  constructor(prefix?: string) {
    this.prefix = new KeyLayout(prefix).prefix;
  }

  private tenant(chatId: bigint, shard: number): string {
    return `${this.prefix}:pace:${shardTag(shard)}:${formatChatId(chatId)}`;
  }

  tat(chatId: bigint, shard: number): string {
    return `${this.tenant(chatId, shard)}:tat`;
  }

  recipient(chatId: bigint, shard: number, recipientHash: string): string {
    return `${this.tenant(chatId, shard)}:r:${recipientHash}`;
  }

  known(chatId: bigint, shard: number): string {
    return `${this.tenant(chatId, shard)}:known`;
  }

  firstContacts(chatId: bigint, shard: number, day: string): string {
    return `${this.tenant(chatId, shard)}:fc:${day}`;
  }

  firstContactQueue(chatId: bigint, shard: number, day: string): string {
    return `${this.tenant(chatId, shard)}:fcq:${day}`;
  }

  /** Admission at enqueue (enqueue-admission.ts): spreads a tenant's new jobs by its rate. */
  admit(chatId: bigint, shard: number): string {
    return `${this.tenant(chatId, shard)}:admit`;
  }

  park(chatId: bigint, shard: number): string {
    return `${this.tenant(chatId, shard)}:park`;
  }

  restriction(chatId: bigint, shard: number, kind: string): string {
    return `${this.prefix}:restrict:${shardTag(shard)}:${formatChatId(chatId)}:${kind}`;
  }

  switches(): string {
    return `${this.prefix}:switches`;
  }
}
