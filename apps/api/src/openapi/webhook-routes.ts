/**
 * The tenant webhook routes of /openapi.json (routes/webhook.route.ts),
 * built from the schemas the router validates with.
 */
import * as Req from '../schemas/request-schemas.js';
import * as W from '../schemas/webhook-schemas.js';
import type { RouteDoc } from './api-routes.js';

const SCOPES = ['admin', 'tenant'] as const;
const NOT_FOUND = { description: 'WEBHOOK.NOT_FOUND (also for another tenant’s delivery id)' };

export const WEBHOOK_ROUTES: readonly RouteDoc[] = [
  {
    method: 'put',
    path: '/v1/tenants/{chatId}/webhook',
    summary: 'Create or replace the tenant’s webhook (the tenant’s own key only); the signing secret is returned on create (201) or with rotateSecret, never again',
    tag: 'webhooks',
    scopes: ['tenant'],
    params: Req.TenantParams,
    body: W.PutWebhookBody,
    responses: {
      201: { description: 'Created; `secret` is shown only now', schema: W.WebhookView },
      200: { description: 'Updated; the secret is kept (not shown) unless rotateSecret: true', schema: W.WebhookView },
      400: { description: 'WEBHOOK.URL_REFUSED (details.reason: scheme, invalid, credentials, private, unresolvable), VALIDATION.* (e.g. an unknown event type)' },
      404: { description: 'TENANT.NOT_FOUND' },
    },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/webhook',
    summary: 'The tenant’s webhook (never its secret)',
    tag: 'webhooks',
    scopes: SCOPES,
    params: Req.TenantParams,
    responses: { 200: { description: 'The webhook', schema: W.WebhookView }, 404: NOT_FOUND },
  },
  {
    method: 'delete',
    path: '/v1/tenants/{chatId}/webhook',
    summary: 'Delete the tenant’s webhook and its delivery log; nothing more is delivered',
    tag: 'webhooks',
    scopes: SCOPES,
    params: Req.TenantParams,
    responses: { 204: { description: 'Deleted' }, 404: NOT_FOUND },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/webhook/deliveries',
    summary: 'The tenant’s webhook deliveries, newest first, cursor-paginated',
    tag: 'webhooks',
    scopes: SCOPES,
    params: Req.TenantParams,
    query: W.ListWebhookDeliveriesQuery,
    responses: { 200: { description: 'A page', schema: W.WebhookDeliveryList } },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/webhook/deliveries/{id}',
    summary: 'One delivery and its attempt log (every HTTP attempt, per series)',
    tag: 'webhooks',
    scopes: SCOPES,
    params: W.WebhookDeliveryParams,
    responses: { 200: { description: 'The delivery', schema: W.WebhookDeliveryDetail }, 404: NOT_FOUND },
  },
  {
    method: 'post',
    path: '/v1/tenants/{chatId}/webhook/deliveries/{id}/replay',
    summary: 'Deliver again (any status): a new attempt series with the same event body and id',
    tag: 'webhooks',
    scopes: SCOPES,
    params: W.WebhookDeliveryParams,
    responses: { 202: { description: 'Queued', schema: W.WebhookReplayAccepted }, 404: NOT_FOUND },
  },
];
