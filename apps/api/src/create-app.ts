import express, { Router, type Express } from 'express';
import helmet from 'helmet';
import type { DispatchSwitches, ReminderQueue, SendProducer, TenantRestriction } from '@wa-dispatch/queue';
import { ApiKeyRepository, AuditRepository, OutboxRepository, PacingRepository, TenantRepository, type Db } from '@wa-dispatch/db';
import { ScheduleRepository, SessionRepository } from '@wa-dispatch/db';
import { createAuthenticator } from './auth/authenticate.js';
import { BOARD_PATH, bullBoardHandlers, type BoardQueue } from './bull-board.js';
import type { ApiEnv } from './env.js';
import { ApiMetrics } from './http/api-metrics.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { requestLog } from './http/request-log.js';
import type { Logger } from './logger.js';
import { buildOpenApiDocument } from './openapi/openapi-document.js';
import { apiKeysRouter } from './routes/api-keys.route.js';
import { healthRouter, type Pingable } from './routes/health.route.js';
import { messagesRouter } from './routes/messages.route.js';
import { metricsRouter } from './routes/metrics.route.js';
import type { RouteContext } from './routes/route-context.js';
import { pacingRouter } from './routes/pacing.route.js';
import { schedulesRouter } from './routes/schedules.route.js';
import { detachedSessionLink, sessionRouter, type SessionLinkDeps } from './routes/session.route.js';
import { tenantsRouter } from './routes/tenants.route.js';
import { webhookRouteDeps, webhookRouter } from './routes/webhook.route.js';
import type { WebhookProducer } from '@wa-dispatch/webhooks';
import { DispatchControl } from './services/dispatch-control.js';
import { MessageSender } from './services/message-sender.js';
import { ReminderScheduling } from './services/reminder-scheduling.js';

export interface ApiDeps {
  db: Db;
  /** Only `enqueue` and `allQueues` are used; tests may wrap a real producer. */
  producer: Pick<SendProducer, 'enqueue' | 'allQueues'> & Partial<Pick<SendProducer, 'readmit'>>;
  /** For /readyz. */
  redis: Pingable;
  config: ApiEnv;
  logger: Logger;
  /** Other queues for Bull Board (reminders, webhooks...). */
  extraQueues?: readonly BoardQueue[];
  /** How long a send request waits for Redis before answering 202 anyway. */
  enqueueTimeoutMs?: number;
  metrics?: ApiMetrics;
  /** Global kill switch / automatic switch (Redis side; Postgres is written first). */
  switches: DispatchSwitches;
  /** Restriction breaker state, shown by GET …/limits. */
  restrictions: TenantRestriction;
  /** Session linking: the nudge to workers and the QRs they hand over (Redis). */
  sessionLink?: SessionLinkDeps;
  /** Tenant webhooks: replays enqueue through it; without it a replay only reopens the row (the workers' sweep enqueues). */
  webhookProducer?: Pick<WebhookProducer, 'replay'>;
  /** The reminders queue (REMINDERS_QUEUE_NAME), for Job Schedulers; without it schedule writes answer scheduler "pending". */
  reminders?: ReminderQueue;
}

/**
 * Builds the express app without listening, from injected dependencies, so
 * tests run it on their own schema and Redis prefix.
 */
export function createApp(deps: ApiDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('etag', false);

  const metrics = deps.metrics ?? new ApiMetrics();
  app.use(metrics.middleware());
  app.use(requestLog(logger));

  if (config.OPERATOR_PASSWORD !== undefined) {
    const queues = [...deps.producer.allQueues(), ...(deps.extraQueues ?? [])];
    app.use(
      BOARD_PATH,
      (_req, res, next) => {
        res.locals.routeLabel = BOARD_PATH;
        next();
      },
      ...bullBoardHandlers({ queues, user: config.OPERATOR_USER, password: config.OPERATOR_PASSWORD }),
    );
    logger.info({ path: BOARD_PATH, queues: queues.length }, 'Bull Board mounted (operator Basic auth)');
  } else {
    logger.warn({ path: BOARD_PATH }, 'OPERATOR_PASSWORD is not set: Bull Board is NOT mounted');
  }

  app.use(helmet());

  const keys = new ApiKeyRepository(deps.db);
  const auth = createAuthenticator({ keys, adminKey: config.ADMIN_API_KEY, logger });
  const tenants = new TenantRepository(deps.db);
  const outbox = new OutboxRepository(deps.db);
  const audit = new AuditRepository(deps.db);
  const pacing = new PacingRepository(deps.db);
  const ctx: RouteContext = {
    config,
    logger,
    tenants,
    apiKeys: keys,
    outbox,
    audit,
    pacing,
    restrictions: deps.restrictions,
    dispatch: new DispatchControl({ pacing, switches: deps.switches, audit }),
    schedules: new ScheduleRepository(deps.db),
    reminders: new ReminderScheduling({ queue: deps.reminders, logger, timeoutMs: deps.enqueueTimeoutMs ?? 2_000 }),
    readmit: async (chatId) => {
      if (!deps.producer.readmit) return 0;
      return deps.producer.readmit(chatId, await outbox.queuedJobsForTenant(chatId));
    },
    sender: new MessageSender({
      tenants,
      outbox,
      producer: deps.producer,
      logger,
      metrics,
      enqueueTimeoutMs: deps.enqueueTimeoutMs ?? 2_000,
    }),
  };

  app.use(healthRouter({ db: deps.db, redis: deps.redis, logger }));
  const openapi = buildOpenApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use(
    metricsRouter({
      metrics,
      auth,
      operator: config.OPERATOR_PASSWORD === undefined ? undefined : { user: config.OPERATOR_USER, password: config.OPERATOR_PASSWORD },
    }),
  );

  // Authentication first: an unauthenticated request is refused before its body is read.
  const v1 = Router();
  v1.use((_req, res, next) => {
    res.locals.routeLabel = '/v1';
    next();
  });
  v1.use(auth.middleware);
  v1.use(tenantsRouter(ctx));
  v1.use(apiKeysRouter(ctx));
  v1.use(messagesRouter(ctx));
  v1.use(pacingRouter(ctx));
  v1.use(schedulesRouter(ctx));
  v1.use(sessionRouter(ctx, { sessions: new SessionRepository(deps.db), link: deps.sessionLink ?? detachedSessionLink(logger) }));
  v1.use(webhookRouter(ctx, webhookRouteDeps(deps.db, config, logger, deps.webhookProducer)));
  app.use('/v1', v1);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
