export { DEFAULT_KEY_PREFIX, KeyLayout, REMINDERS_QUEUE_NAME, WEBHOOKS_QUEUE_NAME } from './key-layout.js';
export { createQueueConnection, type QueueConnectionOptions } from './queue-connection.js';
export { silentLogger, type QueueLogger } from './logger.port.js';
export type { RedisClient } from './redis-script.js';
export { SendProducer, sendJobOptions, type SendProducerOptions, type SendQueue } from './send-producer.js';
export { ShardLeaseStore, type LeaseHolder, type ShardLeaseStoreOptions } from './shard-lease.js';
export { WorkerRegistry, type WorkerRegistryOptions } from './worker-registry.js';
export { ShardBalancer, type ShardBalancerOptions, type ShardReleaseReason } from './shard-balancer.js';
export { SessionSignal, type SessionSignalOptions } from './session-signal.js';
