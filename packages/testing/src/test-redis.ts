import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * Every Redis key wa-dispatch writes sits under one configurable prefix, so a
 * test owns a prefix and can wipe exactly its own keys; nothing here ever
 * calls FLUSHALL on the shared server.
 */
export interface TestRedis {
  url: string;
  prefix: string;
  /** A plain client (no key prefix applied) for assertions. */
  client: Redis;
  /** Deletes every key under the prefix (a "flush" of this test's world). */
  wipe(): Promise<number>;
  close(): Promise<void>;
}

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379/0';

export async function createTestRedis(label = 't'): Promise<TestRedis> {
  const url = process.env.TEST_REDIS_URL ?? DEFAULT_TEST_REDIS_URL;
  const prefix = `test-${label}-${randomBytes(5).toString('hex')}`;
  const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true });
  await client.connect();
  const wipe = async (): Promise<number> => {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  };
  return {
    url,
    prefix,
    client,
    wipe,
    async close() {
      await wipe();
      client.disconnect();
    },
  };
}
