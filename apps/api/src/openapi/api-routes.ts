/**
 * The route catalogue /openapi.json is built from. Each entry names the same
 * schema objects the routers validate with (see schemas/request-schemas.ts),
 * and a test checks every router path appears here.
 */
import type { z } from 'zod';
import type { KeyScope } from '../auth/api-key-codec.js';
import * as Req from '../schemas/request-schemas.js';
import * as Res from '../schemas/response-schemas.js';

export interface RouteDoc {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI form: `{chatId}` */
  path: string;
  summary: string;
  tag: string;
  /** undefined = no auth */
  scopes?: readonly KeyScope[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  headers?: Record<string, z.ZodType>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
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
