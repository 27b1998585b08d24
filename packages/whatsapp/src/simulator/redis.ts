import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { AppError } from '@wa-dispatch/core';

/** A Redis URL (the simulator opens and owns the connection) or a client the caller owns. */
export type SimulatorRedis = string | Redis;

export interface SimulatorConnection {
  client: Redis;
  /** true when the simulator created the client and must close it. */
  owned: boolean;
}

export function connectSimulatorRedis(redis: SimulatorRedis): SimulatorConnection {
  if (typeof redis === 'string') {
    return { client: new Redis(redis, { maxRetriesPerRequest: null }), owned: true };
  }
  // ioredis prefixes KEYS but not keys built inside Lua, nor channels: a
  // keyPrefix would split the layout. The simulator has its own `prefix`.
  if (redis.options.keyPrefix) {
    throw new AppError('CONFIG.INVALID', 'simulator Redis client must not use keyPrefix; pass `prefix` instead');
  }
  return { client: redis, owned: false };
}

export async function closeQuietly(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** WhatsApp-looking message ids (Baileys' own start with 3EB0). */
export function newWaMessageId(): string {
  return `3EB0${randomBytes(10).toString('hex').toUpperCase()}`;
}

export function newInboundMessageId(): string {
  return `3A${randomBytes(10).toString('hex').toUpperCase()}`;
}

/** Shaped like a WhatsApp Web QR payload (`ref,noiseKey,identityKey,advSecret`), all random. */
export function newQrValue(): string {
  const part = (n: number): string => randomBytes(n).toString('base64url');
  return `2@${part(24)},${part(32)},${part(32)},${part(32)}`;
}

export function newSocketId(): string {
  return `sock-${randomBytes(8).toString('hex')}`;
}
