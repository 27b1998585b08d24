import { Router } from 'express';
import { AppError } from '@wa-dispatch/core';
import { generateApiKey } from '../auth/api-key-codec.js';
import { authorize } from '../auth/authorize.js';
import { actorOf, principalOf } from '../auth/principal.js';
import { jsonBody } from '../http/json-body.js';
import { validate } from '../http/validate.js';
import { ApiKeyParams, CreateApiKeyBody } from '../schemas/request-schemas.js';
import { auditSafely } from './audit-safely.js';
import type { RouteContext } from './route-context.js';

/** Deployment-wide keys (admin, service) and revocation of any key. Admin only. */
export function apiKeysRouter(ctx: RouteContext): Router {
  const router = Router();

  router.post('/api-keys', authorize({ scopes: ['admin'] }), ...jsonBody(ctx.config.BODY_LIMIT), async (req, res) => {
    const input = validate(CreateApiKeyBody, req.body, { generic: 'VALIDATION.INVALID_BODY' });
    const made = generateApiKey(input.scope);
    const row = await ctx.apiKeys.create({ hash: made.hash, prefix: made.prefix, scope: input.scope, label: input.label });
    await auditSafely(ctx, {
      chatId: null,
      actor: actorOf(principalOf(res)),
      action: 'api_key.create',
      detail: { keyId: row.id, scope: row.scope, prefix: row.prefix },
    });
    res.status(201).json({ id: row.id, key: made.key, prefix: row.prefix, scope: row.scope, chatId: null });
  });

  router.delete('/api-keys/:id', authorize({ scopes: ['admin'] }), async (req, res) => {
    const { id } = validate(ApiKeyParams, { id: req.params.id }, { generic: 'VALIDATION.INVALID_PARAM' });
    const row = await ctx.apiKeys.findById(id);
    if (!row || !(await ctx.apiKeys.revoke(id))) throw new AppError('API_KEY.NOT_FOUND', 'no such API key');
    await auditSafely(ctx, {
      chatId: row.chatId,
      actor: actorOf(principalOf(res)),
      action: 'api_key.revoke',
      detail: { keyId: id, scope: row.scope, prefix: row.prefix },
    });
    res.status(204).end();
  });

  return router;
}
