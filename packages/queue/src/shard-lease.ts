/**
 * Shard leases with fencing epochs. Invariants:
 * - at most one worker holds `${prefix}:lease:{sN}` at a time (SET NX PX);
 * - every acquisition INCRs `${prefix}:epoch:{sN}`, which never expires, so an
 *   epoch is never reused, even after a lease lapses or Redis evicts the lease;
 * - renew/release compare the exact `${workerId}:${epoch}` value first, so a
 *   holder that lost its lease can neither extend nor free its successor's.
 */
import { AppError } from '@wa-dispatch/core';
import { KeyLayout } from './key-layout.js';
import { defineScript, type RedisClient, type ScriptCall } from './redis-script.js';

export interface ShardLeaseStoreOptions {
  redis: RedisClient;
  prefix?: string;
  ttlMs: number;
}

export interface LeaseHolder {
  workerId: string;
  epoch: bigint;
}

function leaseValue(workerId: string, epoch: bigint): string {
  return `${workerId}:${epoch.toString()}`;
}

/** Worker ids may contain ':'; the epoch after the last one is all digits. */
function parseLeaseValue(value: string): LeaseHolder | null {
  const at = value.lastIndexOf(':');
  const digits = value.slice(at + 1);
  if (at <= 0 || !/^[0-9]+$/.test(digits)) return null;
  return { workerId: value.slice(0, at), epoch: BigInt(digits) };
}

function assertWorkerId(workerId: string): void {
  if (workerId === '' || /\s/.test(workerId)) {
    throw new AppError('CONFIG.INVALID', 'workerId must be non-empty and contain no whitespace');
  }
}

export class ShardLeaseStore {
  readonly ttlMs: number;
  private readonly redis: RedisClient;
  private readonly keys: KeyLayout;
  private readonly acquireScript: ScriptCall;
  private readonly renewScript: ScriptCall;
  private readonly releaseScript: ScriptCall;

  constructor(opts: ShardLeaseStoreOptions) {
    if (!Number.isInteger(opts.ttlMs) || opts.ttlMs < 10) {
      throw new AppError('CONFIG.INVALID', 'lease ttlMs must be an integer >= 10', {
        details: { ttlMs: opts.ttlMs },
      });
    }
    this.ttlMs = opts.ttlMs;
    this.redis = opts.redis;
    this.keys = new KeyLayout(opts.prefix);
    this.acquireScript = defineScript(opts.redis, 'wadLeaseAcquire', 'lease-acquire.lua', 2);
    this.renewScript = defineScript(opts.redis, 'wadLeaseRenew', 'lease-renew.lua', 1);
    this.releaseScript = defineScript(opts.redis, 'wadLeaseRelease', 'lease-release.lua', 1);
  }

  /** The new epoch, or null if someone (possibly this worker) holds the lease. */
  /**
   * `floor` is the highest epoch known from durable storage; the new epoch is
   * always above it, so a Redis that lost its counter cannot hand out an epoch
   * a previous holder might still be using.
   */
  async acquire(shard: number, workerId: string, floor: bigint = 0n): Promise<{ epoch: bigint } | null> {
    assertWorkerId(workerId);
    const reply = await this.acquireScript(
      [this.keys.leaseKey(shard), this.keys.epochKey(shard)],
      [workerId, this.ttlMs, floor.toString()],
    );
    if (reply === null) return null;
    return { epoch: BigInt(String(reply)) };
  }

  async renew(shard: number, workerId: string, epoch: bigint): Promise<boolean> {
    const reply = await this.renewScript([this.keys.leaseKey(shard)], [leaseValue(workerId, epoch), this.ttlMs]);
    return Number(reply) === 1;
  }

  async release(shard: number, workerId: string, epoch: bigint): Promise<boolean> {
    const reply = await this.releaseScript([this.keys.leaseKey(shard)], [leaseValue(workerId, epoch)]);
    return Number(reply) === 1;
  }

  async holder(shard: number): Promise<LeaseHolder | null> {
    const value = await this.redis.get(this.keys.leaseKey(shard));
    return value === null ? null : parseLeaseValue(value);
  }
}
