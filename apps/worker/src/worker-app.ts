/**
 * Wires one worker process: shard leases decide what it may touch; for each
 * leased shard it opens that shard's sessions and runs one BullMQ Worker on
 * that shard's queue. Losing a lease stops both before anything else happens.
 */
import { createServer, type Server } from 'node:http';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { SendDispatcher, sendQueueName, systemClock, type TenantEventSink, type WhatsappTransport } from '@wa-dispatch/core';
import {
  AuditRepository,
  createDb,
  createSqlPools,
  InboundRepository,
  MessageDispatchRepository,
  PacingRepository,
  SessionRepository,
  ShardEpochRepository,
  type Db,
} from '@wa-dispatch/db';
import {
  createQueueConnection,
  DispatchSwitches,
  KillSwitchGate,
  PacingGate,
  RestrictionGate,
  SendProducer,
  SessionSignal,
  ShardBalancer,
  ShardLeaseStore,
  TenantPacer,
  TenantRestriction,
  WorkerRegistry,
  type TenantPacingConfig,
} from '@wa-dispatch/queue';
import type { WorkerEnv } from './env.js';
import { createLogger, type Logger } from './logger.js';
import { WorkerMetrics } from './metrics.js';
import { OutboxReconciler } from './outbox-reconciler.js';
import { pairingServer } from './pairing-hand-off.js';
import { qrHandOff } from './qr-hand-off.js';
import { pacingConfigSource } from './pacing/pacing-config.js';
import { RestrictionBreaker } from './pacing/restriction-breaker.js';
import { SwitchSync } from './pacing/switch-sync.js';
import { TenantPauseGate } from './pacing/tenant-pause-gate.js';
import { createSendProcessor } from './send.processor.js';
import { SessionManager } from './session-manager.js';
import { createTransport } from './transport-factory.js';
import { startReminders } from './reminders/reminders-wiring.js';
import { createWebhooksWiring } from './webhooks/webhooks-wiring.js';

export interface WorkerOverrides {
  transport?: WhatsappTransport;
  logger?: Logger;
  /**
   * BENCHMARKS/TESTS ONLY: replaces the Postgres-backed limits source of the
   * PacingGate (e.g. rates above the API's 60/min bound, or counting how often
   * a job reaches the gate). Production wiring never sets it.
   */
  pacingLimitsFor?: (chatId: bigint) => Promise<TenantPacingConfig>;
}

export interface RunningWorker {
  readonly workerId: string;
  readonly metrics: WorkerMetrics;
  readonly sessions: SessionManager;
  ownedShards(): number[];
  reconcileNow(): Promise<number>;
  stop(): Promise<void>;
  /** Test hook: drop everything without releasing leases, like a killed process. */
  crash(): Promise<void>;
}

export async function startWorker(env: WorkerEnv, overrides: WorkerOverrides = {}): Promise<RunningWorker> {
  const logger = overrides.logger ?? createLogger(env.LOG_LEVEL, 'worker');
  const log = logger.child({ workerId: env.WORKER_ID });
  const metrics = new WorkerMetrics();
  // Connection budget per worker process: DB_POOL_MAX for the hot path plus a
  // few for Prisma and relaxed writes; PostgreSQL's max_connections is shared
  // by every worker and API process of the deployment.
  const db: Db = createDb({ url: env.DATABASE_URL, max: 3 });
  // the per-message statements bypass Prisma (see packages/db/src/sql-pool.ts)
  const sql = createSqlPools({ url: env.DATABASE_URL, max: Math.min(env.DB_POOL_MAX, env.WORKER_CONCURRENCY + 2), relaxedMax: 3 });
  const redis: Redis = createQueueConnection({ url: env.REDIS_URL, role: 'worker' });
  const producer = new SendProducer({ connection: redis, prefix: env.REDIS_PREFIX, shardCount: env.SHARD_COUNT });
  const transport = overrides.transport ?? (await createTransport(env, log, db));

  // What each tenant's own webhook hears about (issue 6; webhooks/webhooks-wiring.ts).
  const webhooks = createWebhooksWiring({ env, db, logger: log });
  const tenantEvents: TenantEventSink = webhooks.events;

  const messages = new MessageDispatchRepository(db, sql, { onTransition: webhooks.onMessageTransition });
  const sessionRows = new SessionRepository(db, sql);
  const audit = new AuditRepository(db);
  const epochs = new ShardEpochRepository(db);
  const sessions = new SessionManager({
    transport,
    sessions: sessionRows,
    messages,
    inbound: new InboundRepository(db),
    logger: log,
    // the QR of a linking session goes to the API through Redis (GET …/session/qr)
    events: webhooks.sessionEvents(qrHandOff({ redis, prefix: env.REDIS_PREFIX, logger: log })),
  });

  const shardWorkers = new Map<number, Worker>();
  const leases = new ShardLeaseStore({ redis, prefix: env.REDIS_PREFIX, ttlMs: env.LEASE_TTL_MS });
  const registry = new WorkerRegistry({ redis, prefix: env.REDIS_PREFIX });

  // Pacing, pauses and the kill switch (issue 4; docs/operations.md "Pausing and pacing").
  const pacing = new PacingRepository(db);
  const switches = new DispatchSwitches({ redis, prefix: env.REDIS_PREFIX });
  const pacer = new TenantPacer({ redis, prefix: env.REDIS_PREFIX, recipientHashKey: env.RECIPIENT_HASH_KEY });
  const restrictions = new TenantRestriction({ redis, prefix: env.REDIS_PREFIX });
  const killSwitch = new KillSwitchGate({ switches, isAutomatic: (ctx) => ctx.message.source === 'schedule' });
  const gates = [
    killSwitch,
    new TenantPauseGate({ isPaused: (chatId) => pacing.isTenantPaused(chatId), cacheMs: env.TENANT_PAUSE_CACHE_MS }),
    new RestrictionGate({ restrictions, pacer, shardCount: env.SHARD_COUNT }),
    // LAST: a pass books the tenant's slot
    ...(env.PACING === 'on'
      ? [new PacingGate({ pacer, shardCount: env.SHARD_COUNT, limitsFor: overrides.pacingLimitsFor ?? pacingConfigSource(pacing, env.PACING_LIMITS_CACHE_MS) })]
      : []),
  ];
  if (env.PACING === 'off') log.warn('PACING=off: per-tenant rate limits, spacing and first-contact budgets are NOT enforced');
  const breaker = new RestrictionBreaker({
    restrictions,
    audit,
    metrics,
    logger: log,
    shardCount: env.SHARD_COUNT,
    workerId: env.WORKER_ID,
    events: tenantEvents,
  });
  const switchSync = new SwitchSync({ pacing, switches, redis, prefix: env.REDIS_PREFIX, intervalMs: env.SWITCH_SYNC_INTERVAL_MS, logger: log });

  // eslint-disable-next-line prefer-const
  let balancer: ShardBalancer;
  const dispatcher = new SendDispatcher({
    messages,
    sessions: sessionRows,
    audit,
    shardGuard: { epochOf: (shard) => balancer.holds(shard)?.epoch },
    live: sessions,
    shardCount: env.SHARD_COUNT,
    workerId: env.WORKER_ID,
    clock: systemClock,
    gates,
    // checked again right before the transport call: a pause stops jobs already fetched
    lastMomentGates: [killSwitch],
  });

  const reconciler = new OutboxReconciler({
    db,
    producer,
    ownedShards: () => balancer.ownedShards(),
    minAgeMs: env.RECONCILE_MIN_AGE_MS,
    intervalMs: env.RECONCILE_INTERVAL_MS,
    logger: log,
    metrics,
  });

  const lockMs = Math.max(2_000, env.LEASE_TTL_MS);
  const startShard = async (shard: number, epoch: bigint) => {
    // Durable fencing: the epoch is recorded before this holder touches anything.
    if (!(await epochs.record(shard, epoch, env.WORKER_ID))) {
      throw new Error(`epoch ${epoch} for shard ${shard} is not above the recorded mark`);
    }
    await sessions.openShard(shard, epoch);
    const worker = new Worker(
      sendQueueName(shard),
      createSendProcessor({ shard, dispatcher, messages, audit, metrics, logger: log, workerId: env.WORKER_ID, breaker }),
      {
        connection: createQueueConnection({ url: env.REDIS_URL, role: 'worker' }),
        prefix: env.REDIS_PREFIX,
        concurrency: env.WORKER_CONCURRENCY,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        maxStalledCount: 10,
        autorun: true,
      },
    );
    worker.on('error', (err) => log.error({ err, shard }, 'shard worker error'));
    shardWorkers.set(shard, worker);
    metrics.ownedShards.set(shardWorkers.size);
    void reconciler.runOnce([shard]).catch((err) => log.warn({ err, shard }, 'initial reconcile failed'));
    log.info({ shard, epoch: epoch.toString() }, 'shard acquired');
  };

  const stopShard = async (shard: number, reason: string) => {
    const worker = shardWorkers.get(shard);
    shardWorkers.delete(shard);
    metrics.ownedShards.set(shardWorkers.size);
    // A lost lease means someone else may already be sending: do not wait.
    await worker?.close(reason === 'lost');
    await worker?.disconnect().catch(() => undefined);
    await sessions.closeShard(shard);
    log.info({ shard, reason }, 'shard released');
  };

  balancer = new ShardBalancer({
    leases,
    registry,
    workerId: env.WORKER_ID,
    shardCount: env.SHARD_COUNT,
    ttlMs: env.LEASE_TTL_MS,
    epochFloor: (shard) => epochs.floor(shard),
    onAcquire: startShard,
    onRelease: stopShard,
    logger: log,
  });

  const signal = new SessionSignal({ redis, prefix: env.REDIS_PREFIX });
  // pairing-code requests from the API ride on the same nudge (the holder of the live session answers)
  const servePairing = pairingServer({ redis, prefix: env.REDIS_PREFIX, sessions, logger: log });
  const unsubscribe = await signal.subscribe((sessionId) => {
    void sessions
      .refresh(sessionId)
      .catch((err) => log.warn({ err, sessionId }, 'session refresh failed'))
      .then(() => servePairing(sessionId))
      .catch((err) => log.warn({ err, sessionId }, 'pairing request failed'));
  });

  let metricsServer: Server | undefined;
  if (env.METRICS_PORT !== undefined) {
    metricsServer = createServer(async (req, res) => {
      metrics.liveSessions.set(sessions.size());
      if (req.url === '/metrics') {
        res.setHeader('content-type', metrics.registry.contentType);
        res.end(await metrics.registry.metrics());
      } else {
        res.statusCode = 404;
        res.end();
      }
    }).listen(env.METRICS_PORT);
  }

  // re-assert the kill switch from Postgres before taking jobs (Redis may have lost it)
  await switchSync.runOnce().catch((err: unknown) => log.warn({ err }, 'initial switch sync failed'));
  switchSync.start();
  await balancer.start();
  reconciler.start();
  // reminder schedules (issue 6): one queue, any worker takes any firing; schedulers reconciled from Postgres first
  const reminders = await startReminders({
    db,
    redis,
    redisUrl: env.REDIS_URL,
    prefix: env.REDIS_PREFIX,
    enqueuer: producer,
    automaticPaused: () => switches.isAutomaticPaused(),
    events: tenantEvents,
    logger: log,
    metrics,
    reconcileIntervalMs: env.REMINDER_RECONCILE_INTERVAL_MS,
    concurrency: env.REMINDER_CONCURRENCY,
  });
  webhooks.start();
  log.info({ shards: env.SHARD_COUNT, transport: transport.kind }, 'worker started');

  const closeShared = async () => {
    await reconciler.stop();
    await reminders.stop();
    switchSync.stop();
    await webhooks.stop();
    await unsubscribe();
    metricsServer?.close();
    await transport.shutdown().catch(() => undefined);
    await producer.close();
    await db.$disconnect();
    await sql.end();
    redis.disconnect();
  };

  return {
    workerId: env.WORKER_ID,
    metrics,
    sessions,
    ownedShards: () => balancer.ownedShards(),
    reconcileNow: () => reconciler.runOnce(),
    async stop() {
      await balancer.stop();
      await closeShared();
      log.info('worker stopped');
    },
    async crash() {
      balancer.kill();
      await Promise.all([...shardWorkers.values()].map((w) => w.close(true)));
      shardWorkers.clear();
      await sessions.closeAll();
      await closeShared();
    },
  };
}
