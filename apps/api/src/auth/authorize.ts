import type { RequestHandler } from 'express';
import { AppError } from '@wa-dispatch/core';
import { labelRoute } from '../http/error-handler.js';
import { validate } from '../http/validate.js';
import { TenantParams } from '../schemas/request-schemas.js';
import type { KeyScope } from './api-key-codec.js';
import { principalOf } from './principal.js';

export interface AuthorizeOptions {
  scopes: readonly KeyScope[];
  /** The route has `:chatId`: parse it and hold tenant keys to exactly that tenant. */
  tenantPath?: boolean;
}

/**
 * Runs before the body is parsed and before any handler, so a refused call
 * reads and writes nothing. Order: scope (403 AUTH.FORBIDDEN), then the path
 * chat id (400 CHAT_ID.INVALID), then tenant match (403 AUTH.FORBIDDEN_TENANT).
 */
export function authorize(opts: AuthorizeOptions): RequestHandler {
  const allowed = new Set(opts.scopes);
  return (req, res, next) => {
    labelRoute(req, res);
    const principal = principalOf(res);
    if (!allowed.has(principal.scope)) {
      throw new AppError('AUTH.FORBIDDEN', `${principal.scope === 'admin' ? 'an' : 'a'} ${principal.scope} key may not call this endpoint`);
    }
    if (opts.tenantPath) {
      const { chatId } = validate(TenantParams, { chatId: req.params.chatId }, {
        generic: 'VALIDATION.INVALID_PARAM',
        fieldCodes: { chatId: 'CHAT_ID.INVALID' },
      });
      if (principal.scope === 'tenant' && principal.chatId !== chatId) {
        throw new AppError('AUTH.FORBIDDEN_TENANT', 'this key may only act for its own tenant');
      }
      res.locals.chatId = chatId;
    }
    next();
  };
}
