import { ApiKeyRepository, AuditRepository, createDb, SessionRepository, TenantRepository, type Db } from '@wa-dispatch/db';
import { createQueueConnection, QrStore, SessionSignal } from '@wa-dispatch/queue';
import { SimulatorControl } from '@wa-dispatch/whatsapp';
import type { CliEnv } from './env.js';

type RedisClient = ReturnType<typeof createQueueConnection>;

/**
 * Everything a command may use, built from the environment. Nothing connects
 * until a command first uses it (Prisma's pool and the Redis clients are
 * lazy), so `--help` and usage errors touch no server; Redis gives up after a
 * few attempts instead of leaving an operator's shell hanging.
 */
export interface CliRuntime {
  shardCount: number;
  db: Db;
  tenants: TenantRepository;
  apiKeys: ApiKeyRepository;
  sessions: SessionRepository;
  audit: AuditRepository;
  signal: SessionSignal;
  /** QRs of linking sessions, as the workers hand them over. */
  qrs: QrStore;
  control: SimulatorControl;
  /** The last Redis connection error seen, to explain a command that failed for it. */
  lastConnectionError(): Error | undefined;
  close(): Promise<void>;
}

function cliRedis(url: string, connectionName: string, onError: (err: Error) => void): RedisClient {
  const client = createQueueConnection({
    url,
    role: 'producer',
    connectionName,
    redis: { lazyConnect: true, connectTimeout: 5_000, retryStrategy: (attempt) => (attempt > 3 ? null : attempt * 200) },
  });
  // without a listener ioredis prints every failed attempt; the command's own error says it once
  client.on('error', onError);
  return client;
}

export function createCliRuntime(env: CliEnv): CliRuntime {
  const db = createDb({ url: env.DATABASE_URL, max: 2 });
  let lastError: Error | undefined;
  const onError = (err: Error) => {
    lastError = err;
  };
  const redis = cliRedis(env.REDIS_URL, 'wa-dispatch-cli', onError);
  const simRedis =
    env.SIMULATOR_REDIS_URL === env.REDIS_URL ? redis : cliRedis(env.SIMULATOR_REDIS_URL, 'wa-dispatch-cli-sim', onError);
  // a client passed in stays ours to close
  const control = new SimulatorControl({ redis: simRedis, prefix: env.SIMULATOR_PREFIX });
  return {
    shardCount: env.SHARD_COUNT,
    db,
    tenants: new TenantRepository(db),
    apiKeys: new ApiKeyRepository(db),
    sessions: new SessionRepository(db),
    audit: new AuditRepository(db),
    signal: new SessionSignal({ redis, prefix: env.REDIS_PREFIX }),
    qrs: new QrStore({ redis, prefix: env.REDIS_PREFIX }),
    control,
    lastConnectionError: () => lastError,
    async close() {
      // every command has awaited its replies by now, so nothing is cut off
      redis.disconnect();
      if (simRedis !== redis) simRedis.disconnect();
      await db.$disconnect();
    },
  };
}
