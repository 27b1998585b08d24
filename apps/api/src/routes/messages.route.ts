import { Router } from 'express';
import { AppError, formatChatId } from '@wa-dispatch/core';
import type { OutboxEventView, OutboxMessageView } from '@wa-dispatch/db';
import { authorize } from '../auth/authorize.js';
import { pathChatIdOf } from '../auth/principal.js';
import { jsonBody } from '../http/json-body.js';
import { validate } from '../http/validate.js';
import { IdempotencyKey, ListMessagesQuery, MessageParams, SendMessageBody } from '../schemas/request-schemas.js';
import type { RouteContext } from './route-context.js';

/**
 * A tenant's messages. Admin keys are refused here on purpose: the system
 * this replaces let an administrator read every tenant's WhatsApp traffic,
 * so only the tenant itself and upstream service keys send and read.
 */
const SENDERS = { scopes: ['service', 'tenant'], tenantPath: true } as const;

export function messagesRouter(ctx: RouteContext): Router {
  const router = Router();

  router.post('/tenants/:chatId/messages', authorize(SENDERS), ...jsonBody(ctx.config.BODY_LIMIT), async (req, res) => {
    const chatId = pathChatIdOf(res);
    const rawKey = req.headers['idempotency-key'];
    const idempotencyKey =
      rawKey === undefined
        ? undefined
        : validate(IdempotencyKey, rawKey, { generic: 'VALIDATION.INVALID_PARAM' });
    const input = validate(SendMessageBody, req.body, {
      generic: 'VALIDATION.INVALID_BODY',
      fieldCodes: { to: 'PHONE.INVALID' },
    });
    const result = await ctx.sender.send({ chatId, to: input.to, text: input.text, idempotencyKey });
    if (result.httpStatus === 200) res.setHeader('Idempotent-Replayed', 'true');
    res.status(result.httpStatus).json(result.body);
  });

  router.get('/tenants/:chatId/messages/:id', authorize(SENDERS), async (req, res) => {
    const chatId = pathChatIdOf(res);
    const { id } = validate(MessageParams, { chatId: req.params.chatId, id: req.params.id }, {
      generic: 'VALIDATION.INVALID_PARAM',
    });
    // keyed by (chatId, id): another tenant's message is indistinguishable from none
    const message = await ctx.outbox.findForTenant(chatId, id);
    if (!message) throw new AppError('MESSAGE.NOT_FOUND', 'no such message');
    res.json({ ...messageJson(message), events: message.events.map(eventJson) });
  });

  router.get('/tenants/:chatId/messages', authorize(SENDERS), async (req, res) => {
    const chatId = pathChatIdOf(res);
    const query = validate(ListMessagesQuery, req.query, { generic: 'VALIDATION.INVALID_QUERY' });
    const page = await ctx.outbox.listForTenant(chatId, {
      limit: query.limit,
      ...(query.status ? { status: query.status } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    res.json({ items: page.items.map(messageJson), nextCursor: page.nextCursor });
  });

  return router;
}

function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

function messageJson(m: OutboxMessageView) {
  return {
    id: m.id,
    chatId: formatChatId(m.chatId),
    sessionId: m.sessionId,
    to: m.toPhone,
    text: m.text,
    status: m.status,
    source: m.source,
    attempts: m.attempts,
    waMessageId: m.waMessageId,
    error: m.errorCode === null && m.errorMessage === null ? null : { code: m.errorCode, message: m.errorMessage },
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
    sentAt: iso(m.sentAt),
    deliveredAt: iso(m.deliveredAt),
    readAt: iso(m.readAt),
  };
}

function eventJson(e: OutboxEventView) {
  return { status: e.status, code: e.code, detail: e.detail, at: e.createdAt.toISOString() };
}
