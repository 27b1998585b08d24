/** Test-only helpers for the pacing tests. */
import type { GateContext, TenantLimits } from '@wa-dispatch/core';
import { TenantLimits as TenantLimitsSchema, sessionIdFor } from '@wa-dispatch/core';
import type { Redis } from 'ioredis';

/** Limits with everything but the rate switched off; the schema's bounds are bypassed on purpose. */
export function limits(over: Partial<TenantLimits> = {}): TenantLimits {
  return {
    ...TenantLimitsSchema.parse({}),
    recipientSpacingMs: 0,
    firstContactDailyBudget: 1000,
    jitterMs: 0,
    warmup: false,
    ...over,
  };
}

let seq = 0;
export function messageId(): string {
  seq += 1;
  return `00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`;
}

export function ctxFor(chatId: bigint, toPhone: string, now: number, id = messageId()): GateContext {
  return {
    now,
    message: {
      id,
      chatId,
      sessionId: sessionIdFor(chatId),
      toPhone,
      text: 'hello',
      status: 'queued',
      attempts: 0,
      waMessageId: null,
      createdAt: new Date(now),
    },
    session: {
      sessionId: sessionIdFor(chatId),
      chatIdUsuario: chatId,
      numeroWhatsapp: null,
      status: 'connected',
      shard: 0,
      epoch: 1n,
    },
  };
}

/** Every key under `prefix` with its full contents rendered as text. */
export async function dumpPrefix(client: Redis, prefix: string): Promise<Array<{ key: string; value: string }>> {
  const out: Array<{ key: string; value: string }> = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await client.type(key);
      let value: unknown;
      if (type === 'string') value = await client.get(key);
      else if (type === 'set') value = await client.smembers(key);
      else if (type === 'zset') value = await client.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'hash') value = await client.hgetall(key);
      else if (type === 'list') value = await client.lrange(key, 0, -1);
      else value = type;
      out.push({ key, value: JSON.stringify(value) });
    }
  } while (cursor !== '0');
  return out;
}
