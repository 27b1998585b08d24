/**
 * The route catalogue /openapi.json is built from. Each entry names the same
 * schema objects the routers validate with (see schemas/request-schemas.ts),
 * and a test checks every router path appears here.
 */
import type { z } from 'zod';
import type { KeyScope } from '../auth/api-key-codec.js';
import * as Req from '../schemas/request-schemas.js';
import * as Res from '../schemas/response-schemas.js';
import * as Sess from '../schemas/session-schemas.js';
import { SCHEDULE_ROUTES } from './schedule-routes.js';
import { WEBHOOK_ROUTES } from './webhook-routes.js';

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI form: `{chatId}` */
  path: string;
  summary: string;
  tag: string;
  /** undefined = no auth */
  scopes?: readonly KeyScope[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The body may be left out (its fields all have defaults). */
  bodyOptional?: boolean;
  headers?: Record<string, z.ZodType>;
  responses: Record<number, { description: string; schema?: z.ZodType; extraContent?: Record<string, { schema: Record<string, unknown> }> }>;
}

export const API_ROUTES: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/tenants',
    summary: 'Create a tenant and its own (unlinked) WhatsApp session user_{chatId}',
    tag: 'tenants',
    scopes: ['admin'],
    body: Req.CreateTenantBody,
    responses: {
      201: { description: 'Created', schema: Res.TenantCreated },
      409: { description: 'TENANT.ALREADY_EXISTS' },
    },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}',
    summary: 'A tenant and its session summary (linked number masked unless the caller is that tenant)',
    tag: 'tenants',
    scopes: ['admin', 'service', 'tenant'],
    params: Req.TenantParams,
    responses: { 200: { description: 'The tenant', schema: Res.TenantView }, 404: { description: 'TENANT.NOT_FOUND' } },
  },
  {
    method: 'post',
    path: '/v1/tenants/{chatId}/api-keys',
    summary: 'Create a tenant key (the full key is shown only in this response)',
    tag: 'api-keys',
    scopes: ['admin'],
    params: Req.TenantParams,
    body: Req.CreateTenantKeyBody,
    responses: { 201: { description: 'Created', schema: Res.ApiKeyCreated }, 404: { description: 'TENANT.NOT_FOUND' } },
  },
  {
    method: 'post',
    path: '/v1/api-keys',
    summary: 'Create an admin or service key (the full key is shown only in this response)',
    tag: 'api-keys',
    scopes: ['admin'],
    body: Req.CreateApiKeyBody,
    responses: { 201: { description: 'Created', schema: Res.ApiKeyCreated } },
  },
  {
    method: 'delete',
    path: '/v1/api-keys/{id}',
    summary: 'Revoke a key; it fails with AUTH.REVOKED_KEY from the next request on',
    tag: 'api-keys',
    scopes: ['admin'],
    params: Req.ApiKeyParams,
    responses: { 204: { description: 'Revoked' }, 404: { description: 'API_KEY.NOT_FOUND' } },
  },
  {
    method: 'post',
    path: '/v1/tenants/{chatId}/messages',
    summary: 'Accept a message into the outbox; it leaves only through the tenant’s own session',
    tag: 'messages',
    scopes: ['service', 'tenant'],
    params: Req.TenantParams,
    headers: { 'Idempotency-Key': Req.IdempotencyKey },
    body: Req.SendMessageBody,
    responses: {
      202: { description: 'Accepted (warnings say why it may not be sent yet)', schema: Res.MessageAccepted },
      200: { description: 'Idempotent repeat: the message first accepted with this key', schema: Res.MessageAccepted },
      404: { description: 'TENANT.NOT_FOUND' },
      409: { description: 'TENANT.INACTIVE or MESSAGE.IDEMPOTENCY_CONFLICT' },
      413: { description: 'PAYLOAD.TOO_LARGE' },
    },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/messages/{id}',
    summary: 'One message and its status timeline',
    tag: 'messages',
    scopes: ['service', 'tenant'],
    params: Req.MessageParams,
    responses: { 200: { description: 'The message', schema: Res.MessageDetail }, 404: { description: 'MESSAGE.NOT_FOUND' } },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/messages',
    summary: 'The tenant’s messages, newest first, cursor-paginated',
    tag: 'messages',
    scopes: ['service', 'tenant'],
    params: Req.TenantParams,
    query: Req.ListMessagesQuery,
    responses: { 200: { description: 'A page', schema: Res.MessageList } },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/limits',
    summary: 'Pacing limits: overrides, defaults, configured, effective now (warm-up), pause and restriction status',
    tag: 'pacing',
    scopes: ['admin', 'tenant'],
    params: Req.TenantParams,
    responses: { 200: { description: 'The limits', schema: Res.TenantLimitsView }, 404: { description: 'TENANT.NOT_FOUND' } },
  },
  {
    method: 'patch',
    path: '/v1/tenants/{chatId}/limits',
    summary: 'Change some of a tenant’s pacing limits (applies to workers within about a second)',
    tag: 'pacing',
    scopes: ['admin'],
    params: Req.TenantParams,
    body: Req.PatchLimitsBody,
    responses: { 200: { description: 'The limits after the change', schema: Res.TenantLimitsView }, 404: { description: 'TENANT.NOT_FOUND' } },
  },
  {
    method: 'post',
    path: '/v1/tenants/{chatId}/pause',
    summary: 'Pause a tenant: its queued and scheduled messages wait (nothing is lost)',
    tag: 'pacing',
    scopes: ['admin', 'tenant'],
    params: Req.TenantParams,
    responses: { 200: { description: 'Paused', schema: Res.TenantPauseView }, 404: { description: 'TENANT.NOT_FOUND' } },
  },
  {
    method: 'post',
    path: '/v1/tenants/{chatId}/resume',
    summary: 'Resume a tenant: held messages go out in order, within its limits',
    tag: 'pacing',
    scopes: ['admin', 'tenant'],
    params: Req.TenantParams,
    responses: { 200: { description: 'Resumed', schema: Res.TenantPauseView }, 404: { description: 'TENANT.NOT_FOUND' } },
  },
  {
    method: 'get',
    path: '/v1/admin/pause',
    summary: 'State of the kill switch and the automatic-sends switch (Postgres, and the Redis copy workers read)',
    tag: 'pacing',
    scopes: ['admin'],
    responses: { 200: { description: 'The switches', schema: Res.DispatchPauseView } },
  },
  {
    method: 'post',
    path: '/v1/admin/pause',
    summary: 'Kill switch (scope "all", default) or stop automatic sends only; when it returns, no worker starts a send',
    tag: 'pacing',
    scopes: ['admin'],
    body: Req.PauseScopeBody,
    bodyOptional: true,
    responses: { 200: { description: 'Paused', schema: Res.DispatchPauseView } },
  },
  {
    method: 'post',
    path: '/v1/admin/resume',
    summary: 'Lift the kill switch (scope "all", default) or the automatic-sends switch',
    tag: 'pacing',
    scopes: ['admin'],
    body: Req.PauseScopeBody,
    bodyOptional: true,
    responses: { 200: { description: 'Resumed', schema: Res.DispatchPauseView } },
  },
  {
    method: 'post',
    path: '/v1/tenants/{chatId}/session',
    summary: 'Start linking the tenant’s own WhatsApp number: the session user_{chatId} opens and shows a QR',
    tag: 'session',
    scopes: ['admin', 'service', 'tenant'],
    params: Req.TenantParams,
    responses: {
      202: { description: 'Linking started (poll GET …/session/qr)', schema: Sess.SessionLinkStarted },
      404: { description: 'TENANT.NOT_FOUND or SESSION.NOT_FOUND' },
      409: { description: 'SESSION.ALREADY_LINKED (log out first), SESSION.BANNED or TENANT.INACTIVE' },
    },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/session',
    summary: 'Session status, linked number (masked unless the caller is that tenant), shard, last error',
    tag: 'session',
    scopes: ['admin', 'service', 'tenant'],
    params: Req.TenantParams,
    responses: {
      200: { description: 'The session', schema: Sess.SessionView },
      404: { description: 'TENANT.NOT_FOUND or SESSION.NOT_FOUND' },
    },
  },
  {
    method: 'get',
    path: '/v1/tenants/{chatId}/session/qr',
    summary: 'The QR to scan with the tenant’s own phone: image/png, or JSON with ?format=json (never cached)',
    tag: 'session',
    scopes: ['admin', 'service', 'tenant'],
    params: Req.TenantParams,
    query: Sess.SessionQrQuery,
    responses: {
      200: {
        description: 'The current QR (it rotates; X-QR-Expires-At says until when this one is valid)',
        schema: Sess.SessionQrJson,
        extraContent: { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } },
      },
      404: { description: 'SESSION.QR_NOT_AVAILABLE (not linking, or no QR yet), TENANT.NOT_FOUND' },
      409: { description: 'SESSION.ALREADY_LINKED' },
    },
  },
  {
    method: 'post',
    path: '/v1/tenants/{chatId}/session/pairing-code',
    summary: 'While the session shows a QR: an 8-character code to type on the phone (Linked devices > Link with phone number) instead of scanning',
    tag: 'session',
    scopes: ['admin', 'service', 'tenant'],
    params: Req.TenantParams,
    body: Sess.PairingCodeBody,
    responses: {
      200: { description: 'The code to type on the phone', schema: Sess.PairingCode },
      404: { description: 'SESSION.QR_NOT_AVAILABLE (start linking first), TENANT.NOT_FOUND' },
      409: { description: 'SESSION.ALREADY_LINKED' },
      501: { description: 'SESSION.PAIRING_UNSUPPORTED (the transport cannot link by code)' },
      504: { description: 'SESSION.PAIRING_TIMEOUT (no worker answered in time; retry)' },
    },
  },
  {
    method: 'delete',
    path: '/v1/tenants/{chatId}/session',
    summary: 'Log the session out (also on WhatsApp’s side), release its number and wipe its auth state',
    tag: 'session',
    scopes: ['admin', 'service', 'tenant'],
    params: Req.TenantParams,
    responses: { 204: { description: 'Logged out' }, 404: { description: 'TENANT.NOT_FOUND or SESSION.NOT_FOUND' } },
  },
  ...SCHEDULE_ROUTES,
  ...WEBHOOK_ROUTES,
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: 200 while the process serves HTTP',
    tag: 'ops',
    responses: { 200: { description: 'Alive', schema: Res.Health } },
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: PostgreSQL and Redis reachable',
    tag: 'ops',
    responses: {
      200: { description: 'Ready', schema: Res.Readiness },
      503: { description: 'A dependency is down', schema: Res.Readiness },
    },
  },
];
