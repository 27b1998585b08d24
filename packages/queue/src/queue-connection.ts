import { Redis, type RedisOptions } from 'ioredis';

export interface QueueConnectionOptions {
  url: string;
  /**
   * `worker`: BullMQ Workers block on Redis and require `maxRetriesPerRequest:
   * null` (commands wait out a reconnect instead of failing). `producer`: API
   * paths should fail fast so a request gets an error instead of hanging.
   */
  role: 'worker' | 'producer';
  connectionName?: string;
  /** Extra ioredis options; the role's settings win over them. */
  redis?: RedisOptions;
}

export function createQueueConnection(opts: QueueConnectionOptions): Redis {
  const roleOptions: RedisOptions =
    opts.role === 'worker' ? { maxRetriesPerRequest: null } : { maxRetriesPerRequest: 3 };
  return new Redis(opts.url, {
    ...opts.redis,
    ...(opts.connectionName === undefined ? {} : { connectionName: opts.connectionName }),
    enableReadyCheck: true,
    ...roleOptions,
  });
}
