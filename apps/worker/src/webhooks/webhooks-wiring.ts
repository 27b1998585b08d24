/**
 * Tenant webhooks in a worker process (issue 6): the event sink every
 * emission point writes to, the delivery Worker on the `{webhooks}` queue and
 * the sweep of pending deliveries. Every worker runs all three: the queue is
 * not sharded (a delivery's tenant is fixed by its row, not by who runs it),
 * and jobs are idempotent by id.
 *
 * Flow: event → `webhook_deliveries` row (Postgres, owner chosen in SQL) →
 * job `{deliveryId}` → WebhookDeliveryProcessor loads URL + secret of that
 * delivery's own webhook → signed POST → attempt log.
 */
import type { TenantEventSink, WebhookEventLog } from '@wa-dispatch/core';
import { WebhookDeliveryRepository, WebhookRepository, type Db, type MessageStatusChange } from '@wa-dispatch/db';
import { WEBHOOKS_QUEUE_NAME, createQueueConnection } from '@wa-dispatch/queue';
import {
  SecretBox,
  WebhookDeliveryProcessor,
  WebhookEventRecorder,
  WebhookProducer,
  createWebhookWorker,
} from '@wa-dispatch/webhooks';
import type { WorkerEnv } from '../env.js';
import type { Logger } from '../logger.js';
import type { SessionEventSink } from '../session-manager.js';
import { WebhookEmission } from './webhook-emission.js';
import { WebhookSweep } from './webhook-sweep.js';

export interface WebhooksWiring {
  /** For processors that report events themselves (reminders, the restriction breaker). */
  readonly events: TenantEventSink;
  /** MessageDispatchRepository hook (message.status). */
  onMessageTransition(change: MessageStatusChange): void;
  /** Adds session.qr / session.status / message.inbound to the session manager's sink. */
  sessionEvents(base: SessionEventSink): SessionEventSink;
  /** The delivery Worker and the sweep; call once the process is ready to work. */
  start(): void;
  stop(): Promise<void>;
  /** Tests: one sweep pass now. */
  sweepNow(): Promise<number>;
}

export function createWebhooksWiring(o: { env: WorkerEnv; db: Db; logger: Logger }): WebhooksWiring {
  const { env, db } = o;
  const log = o.logger.child({ component: 'webhooks' });
  const box = new SecretBox(env.WEBHOOK_SECRET_KEY);
  if (box.isDevelopmentKey) {
    log.warn('WEBHOOK_SECRET_KEY is the development default: SET A SECRET IN PRODUCTION (webhook secrets are sealed with it)');
  }
  if (env.WEBHOOK_ALLOW_PRIVATE) log.warn('WEBHOOK_ALLOW_PRIVATE=true: webhooks may be delivered to loopback and private addresses');

  const hooks = new WebhookRepository(db);
  const deliveries = new WebhookDeliveryRepository(db, { openSecret: (sealed, chatId) => box.open(sealed, chatId) });
  const store = deliveries;
  const eventLog: WebhookEventLog = {
    recordEvent: (chatId, event) => deliveries.recordEvent(chatId, event),
    subscribedEvents: (chatId) => hooks.subscribedEvents(chatId),
  };

  // producer: fail fast (the send path must not wait on a stalled Redis; the sweep re-enqueues)
  const producerConnection = createQueueConnection({ url: env.REDIS_URL, role: 'producer', connectionName: 'wad-webhooks' });
  producerConnection.on('error', () => undefined); // surfaced by the calls that fail
  const producer = new WebhookProducer({
    connection: producerConnection,
    queueName: WEBHOOKS_QUEUE_NAME,
    prefix: env.REDIS_PREFIX,
    attempts: env.WEBHOOK_ATTEMPTS,
    store,
  });
  const recorder = new WebhookEventRecorder({
    log: eventLog,
    producer,
    logger: log,
    subscriptionCacheMs: env.WEBHOOK_SUBSCRIPTION_CACHE_MS,
  });
  const emission = new WebhookEmission({ sink: recorder, enqueue: (id, chatId) => recorder.enqueueRecorded(id, chatId, 'message.status'), logger: log });
  const sweep = new WebhookSweep({
    pending: deliveries,
    producer,
    minAgeMs: env.WEBHOOK_SWEEP_MIN_AGE_MS,
    intervalMs: env.WEBHOOK_SWEEP_INTERVAL_MS,
    logger: log,
  });

  let worker: ReturnType<typeof createWebhookWorker> | undefined;
  let workerConnection: ReturnType<typeof createQueueConnection> | undefined;

  return {
    events: recorder,
    onMessageTransition: emission.onMessageTransition,
    sessionEvents: (base) => emission.sessionEvents(base),
    start() {
      if (worker) return;
      workerConnection = createQueueConnection({ url: env.REDIS_URL, role: 'worker', connectionName: 'wad-webhooks-worker' });
      const processor = new WebhookDeliveryProcessor({
        store,
        allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
        timeoutMs: env.WEBHOOK_TIMEOUT_MS,
        logger: log,
      });
      const delivering = createWebhookWorker({
        connection: workerConnection,
        queueName: WEBHOOKS_QUEUE_NAME,
        prefix: env.REDIS_PREFIX,
        processor,
        concurrency: env.WEBHOOK_CONCURRENCY,
        backoff: { baseMs: env.WEBHOOK_BACKOFF_BASE_MS, maxMs: env.WEBHOOK_BACKOFF_MAX_MS },
      });
      delivering.on('error', (err) => log.error({ err: err.name }, 'webhook worker error'));
      worker = delivering;
      sweep.start();
    },
    async stop() {
      await sweep.stop();
      await worker?.close();
      worker = undefined;
      workerConnection?.disconnect();
      await producer.close();
      producerConnection.disconnect();
    },
    sweepNow: () => sweep.runOnce(),
  };
}
