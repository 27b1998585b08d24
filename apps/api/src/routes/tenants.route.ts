import { Router } from 'express';
import { AppError, formatChatId, maskPhone, shardOf } from '@wa-dispatch/core';
import type { TenantWithSession } from '@wa-dispatch/db';
import { generateApiKey } from '../auth/api-key-codec.js';
import { authorize } from '../auth/authorize.js';
import { actorOf, pathChatIdOf, principalOf, type Principal } from '../auth/principal.js';
import { jsonBody } from '../http/json-body.js';
import { validate } from '../http/validate.js';
import { CreateTenantBody, CreateTenantKeyBody } from '../schemas/request-schemas.js';
import { auditSafely } from './audit-safely.js';
import type { RouteContext } from './route-context.js';

/**
 * Tenants and their keys. The linked WhatsApp number is personal data: the
 * tenant sees its own number in full, admin and service callers see it masked.
 */
export function tenantsRouter(ctx: RouteContext): Router {
  const router = Router();
  const body = jsonBody(ctx.config.BODY_LIMIT);

  router.post('/tenants', authorize({ scopes: ['admin'] }), ...body, async (req, res) => {
    const input = validate(CreateTenantBody, req.body, {
      generic: 'VALIDATION.INVALID_BODY',
      fieldCodes: { chatId: 'CHAT_ID.INVALID' },
    });
    const shard = shardOf(input.chatId, ctx.config.SHARD_COUNT);
    const tenant = await ctx.tenants.createWithSession({ chatId: input.chatId, name: input.name, shard });
    await auditSafely(ctx, {
      chatId: tenant.chatId,
      actor: actorOf(principalOf(res)),
      action: 'tenant.create',
      detail: { shard },
    });
    res.status(201).json({ chatId: formatChatId(tenant.chatId), sessionId: tenant.session?.sessionId });
  });

  router.get('/tenants/:chatId', authorize({ scopes: ['admin', 'service', 'tenant'], tenantPath: true }), async (_req, res) => {
    const tenant = await ctx.tenants.findWithSession(pathChatIdOf(res));
    if (!tenant) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    res.json(tenantJson(tenant, principalOf(res)));
  });

  router.post('/tenants/:chatId/api-keys', authorize({ scopes: ['admin'], tenantPath: true }), ...body, async (req, res) => {
    const chatId = pathChatIdOf(res);
    const input = validate(CreateTenantKeyBody, req.body, { generic: 'VALIDATION.INVALID_BODY' });
    if (!(await ctx.tenants.exists(chatId))) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    const made = generateApiKey('tenant');
    const row = await ctx.apiKeys.create({ hash: made.hash, prefix: made.prefix, scope: 'tenant', chatId, label: input.label ?? null });
    await auditSafely(ctx, {
      chatId,
      actor: actorOf(principalOf(res)),
      action: 'api_key.create',
      detail: { keyId: row.id, scope: 'tenant', prefix: row.prefix },
    });
    res.status(201).json({ id: row.id, key: made.key, prefix: row.prefix, scope: row.scope, chatId: formatChatId(chatId) });
  });

  return router;
}

function tenantJson(t: TenantWithSession, viewer: Principal) {
  const own = viewer.scope === 'tenant' && viewer.chatId === t.chatId;
  const number = t.session?.numeroWhatsapp ?? null;
  return {
    chatId: formatChatId(t.chatId),
    name: t.name,
    status: t.status,
    paused: t.paused,
    createdAt: t.createdAt.toISOString(),
    session: t.session
      ? {
          sessionId: t.session.sessionId,
          status: t.session.status,
          shard: t.session.shard,
          linkedNumber: number === null ? null : own ? number : maskPhone(number),
          linkedAt: t.session.linkedAt?.toISOString() ?? null,
        }
      : null,
  };
}
