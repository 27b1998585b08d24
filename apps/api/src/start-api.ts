import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '@wa-dispatch/core';
import { createDb, PacingRepository } from '@wa-dispatch/db';
import { DispatchSwitches, EnqueueAdmission, SendProducer, TenantRestriction, createQueueConnection } from '@wa-dispatch/queue';
import { PairingRequests, QrStore, SessionSignal } from '@wa-dispatch/queue';
import { createRemindersQueue } from '@wa-dispatch/queue';
import { WEBHOOKS_QUEUE_NAME } from '@wa-dispatch/queue';
import { WebhookDeliveryRepository } from '@wa-dispatch/db';
import { WebhookProducer } from '@wa-dispatch/webhooks';
import type { BoardQueue } from './bull-board.js';
import { createApp } from './create-app.js';
import { ApiEnv } from './env.js';
import { createLogger, type Logger } from './logger.js';
import { admissionLimitsSource } from './services/admission-limits.js';

export interface RunningApi {
  server: Server;
  /** The bound port (useful with PORT=0). */
  port: number;
  /** Stops accepting requests, lets in-flight ones finish, then closes Redis and Postgres. */
  close(): Promise<void>;
}

export interface StartApiOptions {
  logger?: Logger;
  /** Extra queues for Bull Board (e.g. the worker's reminders/webhooks queues in all-in-one mode). */
  extraQueues?: readonly BoardQueue[];
}

/**
 * Wires the API from an environment and listens. Exported for process
 * entries other than main.ts (the all-in-one `npm start`). Signal handling
 * is the caller's job, so one process can stop several components in order.
 */
export async function startApi(
  rawEnv: Record<string, string | undefined> = process.env,
  opts: StartApiOptions = {},
): Promise<RunningApi> {
  const config = parseConfig(ApiEnv, rawEnv);
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL, 'api');
  const db = createDb({ url: config.DATABASE_URL });
  const redis = createQueueConnection({ url: config.REDIS_URL, role: 'producer', connectionName: 'wad-api' });
  // ioredis emits 'error' on every failed reconnect; without a listener that would crash the process
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis connection error'));
  // fairness (issue 4): a tenant's burst is spread by its own rate at enqueue, so it never
  // sits ahead of other tenants' jobs in the shard's waiting list (enqueue-admission.ts)
  const admission =
    config.PACING === 'on'
      ? new EnqueueAdmission({ redis, prefix: config.REDIS_PREFIX, limitsFor: admissionLimitsSource(new PacingRepository(db)) })
      : undefined;
  const producer = new SendProducer({
    connection: redis,
    prefix: config.REDIS_PREFIX,
    shardCount: config.SHARD_COUNT,
    logger,
    ...(admission ? { admission } : {}),
  });

  const switches = new DispatchSwitches({ redis, prefix: config.REDIS_PREFIX });
  const restrictions = new TenantRestriction({ redis, prefix: config.REDIS_PREFIX });
  // reminder schedules: the API upserts/removes Job Schedulers here after writing Postgres
  const reminders = createRemindersQueue({ connection: redis, prefix: config.REDIS_PREFIX });
  // tenant webhooks: replays (the workers deliver); reopen is scoped to the tenant in SQL
  const webhookProducer = new WebhookProducer({
    connection: redis,
    queueName: WEBHOOKS_QUEUE_NAME,
    prefix: config.REDIS_PREFIX,
    attempts: config.WEBHOOK_ATTEMPTS,
    // reopen only: the API signs nothing, so it never opens a sealed secret
    store: new WebhookDeliveryRepository(db, { openSecret: refuseToOpenSecrets }),
  });
  const app = createApp({
    db,
    producer,
    redis,
    config,
    logger,
    switches,
    restrictions,
    sessionLink: {
      signal: new SessionSignal({ redis, prefix: config.REDIS_PREFIX }),
      qrs: new QrStore({ redis, prefix: config.REDIS_PREFIX }),
      pairing: new PairingRequests({ redis, prefix: config.REDIS_PREFIX }),
    },
    reminders,
    webhookProducer,
    extraQueues: [reminders, webhookProducer.queue, ...(opts.extraQueues ?? [])],
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  // slightly above common load-balancer idle timeouts, so the LB closes first
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: config.HOST, port, shards: config.SHARD_COUNT }, 'api listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await producer.close();
      await reminders.close();
      await webhookProducer.close();
      redis.disconnect();
      await db.$disconnect();
      logger.info('api stopped');
    })());

  return { server, port, close };
}

function refuseToOpenSecrets(): never {
  throw new Error('the API never opens webhook secrets');
}
