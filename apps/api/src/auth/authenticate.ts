import type { RequestHandler } from 'express';
import { AppError } from '@wa-dispatch/core';
import type { ApiKeyRepository } from '@wa-dispatch/db';
import type { Logger } from '../logger.js';
import { claimedScope, hashApiKey, hashesEqual } from './api-key-codec.js';
import type { Principal } from './principal.js';

const BEARER = /^Bearer[ ]+(\S+)\s*$/i;
// Longer than any key we issue or accept from ADMIN_API_KEY in practice; keeps hashing cheap.
const MAX_KEY_LENGTH = 512;

export interface Authenticator {
  /** Resolves a bearer key (or throws 401); used by the middleware and by /metrics. */
  resolve(authorization: string | undefined): Promise<Principal>;
  middleware: RequestHandler;
}

/**
 * Every request looks its key up by hash (an indexed equality), so a revoked
 * key fails on the very next request: there is no cache to go stale.
 * last_used_at is written only after a request succeeded (never for refused
 * calls, which must write nothing) and at most once a minute per key.
 */
export function createAuthenticator(opts: {
  keys: ApiKeyRepository;
  adminKey: string | undefined;
  logger: Logger;
}): Authenticator {
  const adminHash = opts.adminKey === undefined ? undefined : hashApiKey(opts.adminKey);

  async function resolve(authorization: string | undefined): Promise<Principal> {
    const key = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (key === undefined) throw new AppError('AUTH.MISSING_KEY', 'missing API key: send "Authorization: Bearer <key>"');
    if (key.length > MAX_KEY_LENGTH) throw new AppError('AUTH.INVALID_KEY', 'invalid API key');
    const hash = hashApiKey(key);
    if (adminHash !== undefined && hashesEqual(hash, adminHash)) {
      return { scope: 'admin', keyId: 'env-admin', chatId: null, lastUsedAt: null };
    }
    const claimed = claimedScope(key);
    if (claimed === undefined) throw new AppError('AUTH.INVALID_KEY', 'invalid API key');
    const row = await opts.keys.findByHash(hash);
    if (!row || row.scope !== claimed) throw new AppError('AUTH.INVALID_KEY', 'invalid API key');
    if (row.revokedAt !== null) throw new AppError('AUTH.REVOKED_KEY', 'this API key has been revoked');
    if (row.scope === 'tenant' && row.chatId === null) throw new AppError('AUTH.INVALID_KEY', 'invalid API key');
    return {
      scope: row.scope,
      keyId: row.id,
      chatId: row.scope === 'tenant' ? row.chatId : null,
      lastUsedAt: row.lastUsedAt,
    };
  }

  const middleware: RequestHandler = async (req, res, next) => {
    const principal = await resolve(req.headers.authorization);
    res.locals.principal = principal;
    if (principal.keyId !== 'env-admin') {
      const stale = !principal.lastUsedAt || Date.now() - principal.lastUsedAt.getTime() > 60_000;
      if (stale) {
        res.once('finish', () => {
          if (res.statusCode >= 400) return;
          opts.keys.touchLastUsed(principal.keyId).catch((err: unknown) => {
            opts.logger.warn({ keyId: principal.keyId, err: errorName(err) }, 'could not update api key last_used_at');
          });
        });
      }
    }
    next();
  };

  return { resolve, middleware };
}

function errorName(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message.slice(0, 200)}` : 'unknown error';
}
