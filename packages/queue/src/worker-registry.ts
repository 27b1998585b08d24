/**
 * Live-worker registry: `${prefix}:workers` is a sorted set of worker ids
 * scored by expiry time taken from Redis TIME, never from a worker's clock,
 * so hosts with skewed clocks still agree on who is alive. Expired members
 * are pruned by every read and heartbeat.
 */
import { AppError } from '@wa-dispatch/core';
import { KeyLayout } from './key-layout.js';
import { defineScript, type RedisClient, type ScriptCall } from './redis-script.js';

export interface WorkerRegistryOptions {
  redis: RedisClient;
  prefix?: string;
}

export class WorkerRegistry {
  private readonly redis: RedisClient;
  private readonly key: string;
  private readonly heartbeatScript: ScriptCall;
  private readonly liveScript: ScriptCall;

  constructor(opts: WorkerRegistryOptions) {
    this.redis = opts.redis;
    this.key = new KeyLayout(opts.prefix).workersKey();
    this.heartbeatScript = defineScript(opts.redis, 'wadWorkerHeartbeat', 'worker-heartbeat.lua', 1);
    this.liveScript = defineScript(opts.redis, 'wadWorkerLive', 'worker-live.lua', 1);
  }

  /** Returns how many workers are alive, this one included. */
  async heartbeat(workerId: string, ttlMs: number): Promise<number> {
    if (workerId === '') throw new AppError('CONFIG.INVALID', 'workerId must be non-empty');
    if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
      throw new AppError('CONFIG.INVALID', 'heartbeat ttlMs must be a positive integer', { details: { ttlMs } });
    }
    return Number(await this.heartbeatScript([this.key], [workerId, ttlMs]));
  }

  async liveWorkers(): Promise<string[]> {
    const reply = await this.liveScript([this.key], []);
    return Array.isArray(reply) ? reply.map(String) : [];
  }

  async leave(workerId: string): Promise<void> {
    await this.redis.zrem(this.key, workerId);
  }
}
