import { Router } from 'express';
import { AppError, formatChatId } from '@wa-dispatch/core';
import {
  WebhookDeliveryRepository,
  WebhookRepository,
  type Db,
  type WebhookAttemptView,
  type WebhookDeliveryView,
  type WebhookRecord,
} from '@wa-dispatch/db';
import { SecretBox, assertDeliverableUrl, generateWebhookSecret, seriesOfJobId, type WebhookProducer } from '@wa-dispatch/webhooks';
import { authorize } from '../auth/authorize.js';
import { actorOf, pathChatIdOf, principalOf, type Principal } from '../auth/principal.js';
import type { ApiEnv } from '../env.js';
import { jsonBody } from '../http/json-body.js';
import { validate } from '../http/validate.js';
import type { Logger } from '../logger.js';
import { ListWebhookDeliveriesQuery, PutWebhookBody, WebhookDeliveryParams } from '../schemas/webhook-schemas.js';
import { auditSafely } from './audit-safely.js';
import type { RouteContext } from './route-context.js';

export interface WebhookRouteDeps {
  hooks: WebhookRepository;
  deliveries: WebhookDeliveryRepository;
  /** Seals the signing secret at rest (WEBHOOK_SECRET_KEY). */
  box: SecretBox;
  /** Replays; without it (tests) a replay only reopens the row and the workers' sweep enqueues it. */
  producer?: Pick<WebhookProducer, 'replay'>;
  /** WEBHOOK_ALLOW_PRIVATE: loopback/private URLs are accepted (tests, private installs). */
  allowPrivate: boolean;
}

/** Admin or the tenant itself; another tenant's key is AUTH.FORBIDDEN_TENANT before anything is read. */
const OWNERS = { scopes: ['admin', 'tenant'], tenantPath: true } as const;
/**
 * Only the tenant itself chooses where its events go: an admin (or service)
 * able to set the URL could point a tenant's customer replies at itself,
 * which is exactly the cross-tenant reading this project exists to end.
 */
const REGISTRAR = { scopes: ['tenant'], tenantPath: true } as const;

/**
 * A tenant's webhook (one per tenant) and its delivery log. Everything is
 * addressed by the path's chat id: a delivery id of another tenant is
 * indistinguishable from none (404), and a replay of it changes nothing.
 * The signing secret is returned once — on create, or on `rotateSecret` —
 * and stored only sealed (AES-256-GCM under WEBHOOK_SECRET_KEY).
 */
export function webhookRouter(ctx: RouteContext, deps: WebhookRouteDeps): Router {
  const router = Router();
  const body = jsonBody(ctx.config.BODY_LIMIT);

  router.put('/tenants/:chatId/webhook', authorize(REGISTRAR), ...body, async (req, res) => {
    const chatId = pathChatIdOf(res);
    const input = validate(PutWebhookBody, req.body, { generic: 'VALIDATION.INVALID_BODY' });
    if (!(await ctx.tenants.exists(chatId))) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    // refused before anything is written; the worker checks again before every request (DNS may change)
    const { url } = await assertDeliverableUrl(input.url, { allowPrivate: deps.allowPrivate });
    const secret = generateWebhookSecret();
    const rotate = input.rotateSecret === true;
    const saved = await deps.hooks.upsert(chatId, {
      url: url.toString(),
      events: input.events,
      sealedSecret: deps.box.seal(secret, chatId),
      replaceSecret: rotate,
    });
    if (!saved) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    const showSecret = saved.created || rotate;
    await auditSafely(ctx, {
      chatId,
      actor: actorOf(principalOf(res)),
      action: saved.created ? 'webhook.create' : 'webhook.update',
      // the host only: a path or query may carry the tenant's own token
      detail: { host: url.host, events: input.events, secretRotated: showSecret },
    });
    res.setHeader('cache-control', 'no-store');
    res.status(saved.created ? 201 : 200).json({ ...webhookJson(saved.webhook), ...(showSecret ? { secret } : {}) });
  });

  router.get('/tenants/:chatId/webhook', authorize(OWNERS), async (_req, res) => {
    const hook = await deps.hooks.get(pathChatIdOf(res));
    if (!hook) throw new AppError('WEBHOOK.NOT_FOUND', 'the tenant has no webhook');
    res.json(webhookJson(hook));
  });

  router.delete('/tenants/:chatId/webhook', authorize(OWNERS), async (_req, res) => {
    const chatId = pathChatIdOf(res);
    if (!(await deps.hooks.delete(chatId))) throw new AppError('WEBHOOK.NOT_FOUND', 'the tenant has no webhook');
    await auditSafely(ctx, { chatId, actor: actorOf(principalOf(res)), action: 'webhook.delete' });
    res.status(204).end();
  });

  router.get('/tenants/:chatId/webhook/deliveries', authorize(OWNERS), async (req, res) => {
    const chatId = pathChatIdOf(res);
    const query = validate(ListWebhookDeliveriesQuery, req.query, { generic: 'VALIDATION.INVALID_QUERY' });
    const page = await deps.deliveries.listForTenant(chatId, {
      limit: query.limit,
      ...(query.status ? { status: query.status } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    const viewer = principalOf(res);
    res.json({ items: page.items.map((d) => deliveryJson(d, chatId, viewer)), nextCursor: page.nextCursor });
  });

  router.get('/tenants/:chatId/webhook/deliveries/:id', authorize(OWNERS), async (req, res) => {
    const chatId = pathChatIdOf(res);
    const { id } = validate(WebhookDeliveryParams, { chatId: req.params.chatId, id: req.params.id }, { generic: 'VALIDATION.INVALID_PARAM' });
    const delivery = await deps.deliveries.findForTenant(chatId, id);
    if (!delivery) throw new AppError('WEBHOOK.NOT_FOUND', 'no such webhook delivery');
    res.json({ ...deliveryJson(delivery, chatId, principalOf(res)), attemptLog: delivery.attemptLog.map(attemptJson) });
  });

  router.post('/tenants/:chatId/webhook/deliveries/:id/replay', authorize(OWNERS), async (req, res) => {
    const chatId = pathChatIdOf(res);
    const { id } = validate(WebhookDeliveryParams, { chatId: req.params.chatId, id: req.params.id }, { generic: 'VALIDATION.INVALID_PARAM' });
    let series: number | null;
    if (deps.producer) {
      // reopens (scoped to chatId, else WEBHOOK.NOT_FOUND) and enqueues the new series' job
      series = seriesOfJobId(await deps.producer.replay(id, chatId));
    } else {
      series = await deps.deliveries.reopen(id, chatId);
      if (series === null) throw new AppError('WEBHOOK.NOT_FOUND', 'no such webhook delivery');
      ctx.logger.warn({ deliveryId: id }, 'webhook replay reopened without a producer: the workers’ sweep enqueues it');
    }
    await auditSafely(ctx, { chatId, actor: actorOf(principalOf(res)), action: 'webhook.replay', detail: { deliveryId: id, series } });
    res.status(202).json({ deliveryId: id, series, status: 'pending' });
  });

  return router;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

function webhookJson(w: WebhookRecord) {
  return {
    id: w.id,
    chatId: formatChatId(w.chatId),
    url: w.url,
    events: w.events,
    active: w.active,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}

function deliveryJson(d: WebhookDeliveryView, chatId: bigint, viewer: Principal) {
  // a payload may be a customer's reply: only the tenant itself reads it (as with messages)
  const own = viewer.scope === 'tenant' && viewer.chatId === chatId;
  return {
    id: d.id,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    series: d.series,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    deliveredAt: iso(d.deliveredAt),
    payload: own ? d.payload : null,
  };
}

function attemptJson(a: WebhookAttemptView) {
  return {
    series: a.series,
    attempt: a.attempt,
    startedAt: a.startedAt.toISOString(),
    durationMs: a.durationMs,
    statusCode: a.statusCode,
    error: a.error,
    outcome: a.outcome,
  };
}

/** The route's dependencies from the app's database and configuration (create-app wiring). */
export function webhookRouteDeps(
  db: Db,
  config: Pick<ApiEnv, 'WEBHOOK_SECRET_KEY' | 'WEBHOOK_ALLOW_PRIVATE'>,
  logger: Logger,
  producer?: Pick<WebhookProducer, 'replay'>,
): WebhookRouteDeps {
  const box = new SecretBox(config.WEBHOOK_SECRET_KEY);
  if (box.isDevelopmentKey) {
    logger.warn('WEBHOOK_SECRET_KEY is the development default: SET A SECRET IN PRODUCTION (webhook secrets are sealed with it)');
  }
  return {
    hooks: new WebhookRepository(db),
    deliveries: new WebhookDeliveryRepository(db, { openSecret: (sealed, chatId) => box.open(sealed, chatId) }),
    box,
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    ...(producer ? { producer } : {}),
  };
}
