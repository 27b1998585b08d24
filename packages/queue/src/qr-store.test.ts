import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { PairingRequests } from './pairing-requests.js';
import { QrStore } from './qr-store.js';
import { keySlot } from './test-support/cluster-slot.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await createTestRedis('qr_store');
});

afterAll(async () => {
  await redis?.close();
});

describe('QrStore', () => {
  it('keeps the live QR under the shard hash tag until it expires or is cleared', async () => {
    const qrs = new QrStore({ redis: redis.client, prefix: redis.prefix });
    const expiresAt = new Date(Date.now() + 300);
    await qrs.put(3, 'user_42', 'qr-a', expiresAt);
    const key = `${redis.prefix}:qr:{s3}:user_42`;
    expect(keySlot(key)).toBe(keySlot(`${redis.prefix}:lease:{s3}`));
    expect(await redis.client.pttl(key)).toBeGreaterThan(0);
    expect(await qrs.get(3, 'user_42')).toEqual({ qr: 'qr-a', expiresAt: new Date(expiresAt.getTime()) });
    expect(await qrs.get(2, 'user_42')).toBeNull();
    await new Promise((r) => setTimeout(r, 350));
    expect(await qrs.get(3, 'user_42')).toBeNull();

    await qrs.put(3, 'user_42', 'qr-b', new Date(Date.now() + 10_000));
    await qrs.clear(3, 'user_42');
    expect(await qrs.get(3, 'user_42')).toBeNull();
    await qrs.put(3, 'user_42', 'qr-c', new Date(Date.now() - 1)); // already expired: not stored
    expect(await redis.client.exists(key)).toBe(0);
  });
});

describe('PairingRequests', () => {
  it('one taker per request; the reply reaches the asker; an unanswered request is withdrawn', async () => {
    const pairing = new PairingRequests({ redis: redis.client, prefix: redis.prefix });
    const id = await pairing.ask(1, 'user_7', '5511999990000');
    const taken = await pairing.take(1, 'user_7');
    expect(taken).toEqual({ id, phone: '5511999990000' });
    expect(await pairing.take(1, 'user_7')).toBeNull();
    await pairing.reply(1, 'user_7', id, { code: 'ABCD1234' });
    expect(await pairing.awaitReply(1, 'user_7', id, 500)).toEqual({ code: 'ABCD1234' });

    const late = await pairing.ask(1, 'user_7', '5511999990000');
    expect(await pairing.awaitReply(1, 'user_7', late, 150, 50)).toBeNull();
    expect(await pairing.take(1, 'user_7')).toBeNull();
  });
});
