import express, { Router, type RequestHandler } from 'express';
import {
  AppError,
  DEFAULT_TENANT_LIMITS,
  TenantLimitsPatch,
  effectiveLimits,
  formatChatId,
  limitsFromStored,
  shardOf,
  warmupStageAt,
} from '@wa-dispatch/core';
import { authorize } from '../auth/authorize.js';
import { actorOf, pathChatIdOf, principalOf } from '../auth/principal.js';
import { jsonBody } from '../http/json-body.js';
import { validate } from '../http/validate.js';
import { PatchLimitsBody, PauseScopeBody } from '../schemas/request-schemas.js';
import type { DispatchPauseState } from '../services/dispatch-control.js';
import { auditSafely } from './audit-safely.js';
import type { RouteContext } from './route-context.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** A JSON body that may be absent (treated as `{}`); a present non-JSON body is still a 400. */
function optionalJsonBody(limit: string): RequestHandler[] {
  const parse = express.json({ limit, strict: true, type: ['application/json', 'application/*+json'] });
  const orEmpty: RequestHandler = (req, _res, next) => {
    if (req.body === undefined) {
      const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
      if (hasBody) throw new AppError('VALIDATION.INVALID_BODY', 'request body must be application/json');
      req.body = {};
    }
    next();
  };
  return [parse, orEmpty];
}

function pauseStateJson(s: DispatchPauseState) {
  const sw = (r: DispatchPauseState['all']) => ({ paused: r.paused, updatedAt: iso(r.updatedAt), updatedBy: r.updatedBy });
  return { all: sw(s.all), automatic: sw(s.automatic), redis: s.redis };
}

/**
 * Pacing limits, tenant pause and the global kill switch (issue 4). Limits
 * and pauses live in Postgres; workers read limits with a ~1 s cache and the
 * tenant pause with a ~250 ms cache, so a change applies within about a second.
 */
export function pacingRouter(ctx: RouteContext): Router {
  const router = Router();
  const body = jsonBody(ctx.config.BODY_LIMIT);
  const optionalBody = optionalJsonBody(ctx.config.BODY_LIMIT);

  const limitsView = async (chatId: bigint) => {
    const row = await ctx.pacing.tenantPacing(chatId);
    if (!row) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    const configured = limitsFromStored(row.limits);
    const overrides = TenantLimitsPatch.safeParse(row.limits ?? {});
    const now = Date.now();
    const stage = warmupStageAt(configured, row.linkedAt, now);
    const shard = shardOf(chatId, ctx.config.SHARD_COUNT);
    const r = await ctx.restrictions.status(chatId, shard);
    return {
      chatId: formatChatId(chatId),
      timeZone: row.timeZone,
      overrides: overrides.success ? overrides.data : {},
      defaults: { ...DEFAULT_TENANT_LIMITS },
      configured,
      effective: effectiveLimits(configured, row.linkedAt, now),
      warmup: stage && row.linkedAt ? { linkedAt: row.linkedAt.toISOString(), ...stage } : null,
      paused: row.paused,
      pausedAt: iso(row.pausedAt),
      restriction: {
        sendBlockedUntil: r.sendBlockedUntilMs === null ? null : new Date(r.sendBlockedUntilMs).toISOString(),
        sendBlockedBy: r.sendBlockedBy,
        firstContactBlockedUntil: r.firstContactBlockedUntilMs === null ? null : new Date(r.firstContactBlockedUntilMs).toISOString(),
      },
    };
  };

  router.get('/tenants/:chatId/limits', authorize({ scopes: ['admin', 'tenant'], tenantPath: true }), async (_req, res) => {
    res.json(await limitsView(pathChatIdOf(res)));
  });

  router.patch('/tenants/:chatId/limits', authorize({ scopes: ['admin'], tenantPath: true }), ...body, async (req, res) => {
    const chatId = pathChatIdOf(res);
    const { timeZone, ...patch } = validate(PatchLimitsBody, req.body, { generic: 'VALIDATION.INVALID_BODY' });
    if (!(await ctx.pacing.updateLimits(chatId, patch, timeZone))) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    await auditSafely(ctx, {
      chatId,
      actor: actorOf(principalOf(res)),
      action: 'tenant.limits',
      detail: { ...patch, ...(timeZone ? { timeZone } : {}) },
    });
    res.json(await limitsView(chatId));
  });

  for (const [path, paused] of [['pause', true], ['resume', false]] as const) {
    router.post(`/tenants/:chatId/${path}`, authorize({ scopes: ['admin', 'tenant'], tenantPath: true }), async (_req, res) => {
      const chatId = pathChatIdOf(res);
      const row = await ctx.pacing.setTenantPaused(chatId, paused);
      if (!row) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
      await auditSafely(ctx, { chatId, actor: actorOf(principalOf(res)), action: paused ? 'tenant.pause' : 'tenant.resume' });
      if (!paused) {
        // held jobs sleep long while paused; put them back in creation order now
        await ctx.readmit(chatId).catch((err: unknown) =>
          ctx.logger.warn({ err, chatId: formatChatId(chatId) }, 'resume: re-admitting the backlog failed; held jobs wake on their own'),
        );
      }
      res.json({ chatId: formatChatId(chatId), paused: row.paused, pausedAt: iso(row.pausedAt) });
    });
  }

  router.get('/admin/pause', authorize({ scopes: ['admin'] }), async (_req, res) => {
    res.json(pauseStateJson(await ctx.dispatch.state()));
  });

  router.post('/admin/pause', authorize({ scopes: ['admin'] }), ...optionalBody, async (req, res) => {
    const { scope } = validate(PauseScopeBody, req.body, { generic: 'VALIDATION.INVALID_BODY' });
    res.json(pauseStateJson(await ctx.dispatch.pause(scope, actorOf(principalOf(res)))));
  });

  router.post('/admin/resume', authorize({ scopes: ['admin'] }), ...optionalBody, async (req, res) => {
    const { scope } = validate(PauseScopeBody, req.body, { generic: 'VALIDATION.INVALID_BODY' });
    res.json(pauseStateJson(await ctx.dispatch.resume(scope, actorOf(principalOf(res)))));
  });

  return router;
}
