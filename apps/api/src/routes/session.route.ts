import { Router } from 'express';
import QRCode from 'qrcode';
import { AppError, isErrorCode, maskPhone, sessionIdFor } from '@wa-dispatch/core';
import type { SessionRepository, SessionView } from '@wa-dispatch/db';
import type { PairingRequests, QrStore, SessionSignal } from '@wa-dispatch/queue';
import { authorize } from '../auth/authorize.js';
import { actorOf, pathChatIdOf, principalOf, type Principal } from '../auth/principal.js';
import { jsonBody } from '../http/json-body.js';
import { validate } from '../http/validate.js';
import { PairingCodeBody, SessionQrQuery } from '../schemas/session-schemas.js';
import { auditSafely } from './audit-safely.js';
import type { RouteContext } from './route-context.js';

/** What linking needs besides the database: the nudge to the worker and the QRs it hands over. */
export interface SessionLinkDeps {
  signal: Pick<SessionSignal, 'publish'>;
  qrs: Pick<QrStore, 'get' | 'clear'>;
  /** Pairing-code request/reply with the worker; without it the endpoint is 501. */
  pairing?: Pick<PairingRequests, 'ask' | 'awaitReply'>;
  /** How long to wait for the worker's code (default 10 s). */
  pairingTimeoutMs?: number;
}

/** Statuses in which a QR is about to be shown. */
const LINKING: ReadonlySet<string> = new Set(['pending_qr', 'connecting']);

const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 2, width: 320 } as const;

/**
 * Linking a tenant's own WhatsApp number: start (the worker leasing the
 * session's shard opens it and WhatsApp shows a QR), read the QR, status,
 * logout. Only the tenant itself, or admin/service keys, may call these; a
 * tenant key on another tenant is AUTH.FORBIDDEN_TENANT before anything is read.
 */
export function sessionRouter(ctx: RouteContext, deps: { sessions: SessionRepository; link: SessionLinkDeps }): Router {
  const router = Router();
  const body = jsonBody(ctx.config.BODY_LIMIT);
  const anyone = authorize({ scopes: ['admin', 'service', 'tenant'], tenantPath: true });
  const { sessions, link } = deps;

  const loadSession = async (chatId: bigint): Promise<SessionView> => {
    const row = await sessions.findView(sessionIdFor(chatId));
    if (row) return row;
    if (!(await ctx.tenants.exists(chatId))) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    throw new AppError('SESSION.NOT_FOUND', 'the tenant has no session');
  };

  router.post('/tenants/:chatId/session', anyone, async (_req, res) => {
    const chatId = pathChatIdOf(res);
    const tenant = await ctx.tenants.findWithSession(chatId);
    if (!tenant) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
    if (tenant.status !== 'active') throw new AppError('TENANT.INACTIVE', 'the tenant is disabled');
    const sessionId = sessionIdFor(chatId);
    if (!(await sessions.requestOpen(sessionId, 'pending_qr'))) {
      const row = await loadSession(chatId);
      if (row.status === 'banned') throw new AppError('SESSION.BANNED', 'this session was banned by WhatsApp; log it out (DELETE) to link again');
      throw new AppError('SESSION.ALREADY_LINKED', `the session is ${row.status}; log it out (DELETE) before linking another number`);
    }
    await link.signal.publish(sessionId);
    await auditSafely(ctx, { chatId, actor: actorOf(principalOf(res)), action: 'session.link_start', detail: { sessionId } });
    res.status(202).json({ sessionId, status: 'pending_qr' });
  });

  router.get('/tenants/:chatId/session', anyone, async (_req, res) => {
    const chatId = pathChatIdOf(res);
    const row = await loadSession(chatId);
    res.setHeader('cache-control', 'no-store');
    res.json(sessionJson(row, chatId, principalOf(res)));
  });

  router.get('/tenants/:chatId/session/qr', anyone, async (req, res) => {
    const chatId = pathChatIdOf(res);
    const query = validate(SessionQrQuery, { ...(req.query as Record<string, unknown>) }, { generic: 'VALIDATION.INVALID_QUERY' });
    const row = await loadSession(chatId);
    res.setHeader('cache-control', 'no-store');
    if (row.status === 'connected') throw new AppError('SESSION.ALREADY_LINKED', 'the session is already linked; there is no QR to scan');
    const stored = await link.qrs.get(row.shard, row.sessionId);
    if (!stored) {
      throw new AppError(
        'SESSION.QR_NOT_AVAILABLE',
        LINKING.has(row.status)
          ? 'no QR yet: the session is starting, retry in a moment'
          : `the session is ${row.status}, not linking: start linking with POST /v1/tenants/{chatId}/session`,
      );
    }
    const principal = principalOf(res);
    if (principal.scope !== 'tenant') {
      // a QR links a phone into this tenant's session: reading it on the tenant's behalf is audited
      await auditSafely(ctx, { chatId, actor: actorOf(principal), action: 'session.qr_read', detail: { sessionId: row.sessionId } });
    }
    res.setHeader('x-qr-expires-at', stored.expiresAt.toISOString());
    if (query.format === 'json') {
      const dataUrl = await QRCode.toDataURL(stored.qr, QR_OPTIONS);
      res.json({ qr: stored.qr, dataUrl, expiresAt: stored.expiresAt.toISOString() });
      return;
    }
    const png = await QRCode.toBuffer(stored.qr, { ...QR_OPTIONS, type: 'png' });
    res.status(200).type('image/png').send(png);
  });

  router.post('/tenants/:chatId/session/pairing-code', anyone, ...body, async (req, res) => {
    const chatId = pathChatIdOf(res);
    const input = validate(PairingCodeBody, req.body, { generic: 'VALIDATION.INVALID_BODY', fieldCodes: { phone: 'PHONE.INVALID' } });
    const row = await loadSession(chatId);
    res.setHeader('cache-control', 'no-store');
    if (!link.pairing) throw new AppError('SESSION.PAIRING_UNSUPPORTED', 'linking with a pairing code is not available here; scan the QR');
    if (row.status === 'connected') throw new AppError('SESSION.ALREADY_LINKED', 'the session is already linked');
    // a code can only come from a live session that is waiting for a link, i.e. one showing a QR
    if (!(await link.qrs.get(row.shard, row.sessionId))) {
      throw new AppError(
        'SESSION.QR_NOT_AVAILABLE',
        'the session is not waiting for a link: start linking (POST …/session) and wait until its QR is available',
      );
    }
    const id = await link.pairing.ask(row.shard, row.sessionId, input.phone);
    await link.signal.publish(row.sessionId);
    const reply = await link.pairing.awaitReply(row.shard, row.sessionId, id, link.pairingTimeoutMs ?? 10_000);
    if (!reply) throw new AppError('SESSION.PAIRING_TIMEOUT', 'no worker answered with a pairing code in time; retry');
    if ('error' in reply) {
      const code = isErrorCode(reply.error) ? reply.error : 'INTERNAL';
      throw new AppError(code, reply.message ?? 'the pairing code request failed');
    }
    await auditSafely(ctx, {
      chatId,
      actor: actorOf(principalOf(res)),
      action: 'session.pairing_code',
      detail: { sessionId: row.sessionId, phone: maskPhone(input.phone) },
    });
    res.json({ code: reply.code });
  });

  router.delete('/tenants/:chatId/session', anyone, async (_req, res) => {
    const chatId = pathChatIdOf(res);
    const row = await loadSession(chatId);
    if (!(await sessions.logoutAndWipe(row.sessionId))) throw new AppError('SESSION.NOT_FOUND', 'the tenant has no session');
    await link.qrs.clear(row.shard, row.sessionId);
    // the worker holding the shard logs the live socket out on WhatsApp's side too
    await link.signal.publish(row.sessionId);
    await auditSafely(ctx, {
      chatId,
      actor: actorOf(principalOf(res)),
      action: 'session.logout',
      detail: { sessionId: row.sessionId, previousStatus: row.status },
    });
    res.status(204).end();
  });

  return router;
}

function sessionJson(row: SessionView, chatId: bigint, viewer: Principal) {
  const own = viewer.scope === 'tenant' && viewer.chatId === chatId;
  const number = row.numeroWhatsapp;
  return {
    sessionId: row.sessionId,
    status: row.status,
    number: number === null ? null : own ? number : maskPhone(number),
    shard: row.shard,
    lastError: row.lastError,
    linkedAt: row.linkedAt?.toISOString() ?? null,
  };
}

/**
 * For an app built without Redis hand-off deps (some tests): rows still
 * change, but no worker is nudged and no QR is ever available.
 */
export function detachedSessionLink(logger: RouteContext['logger']): SessionLinkDeps {
  return {
    signal: {
      async publish(sessionId: string) {
        logger.warn({ sessionId }, 'session change not signalled: app built without sessionLink deps');
      },
    },
    qrs: { get: async () => null, clear: async () => undefined },
  };
}
