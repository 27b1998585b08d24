import type { RequestHandler } from 'express';
import { AppError } from '@wa-dispatch/core';
import { safeEqual } from './api-key-codec.js';

export const OPERATOR_REALM = 'Basic realm="wa-dispatch operator", charset="UTF-8"';

/** HTTP Basic check against OPERATOR_USER/OPERATOR_PASSWORD; both parts compared in constant time. */
export function isOperator(authorization: string | undefined, user: string, password: string): boolean {
  const m = authorization === undefined ? null : /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!m?.[1]) return false;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // evaluate both comparisons, so timing does not tell which part was wrong
  const userOk = safeEqual(decoded.slice(0, colon), user);
  const passOk = safeEqual(decoded.slice(colon + 1), password);
  return userOk && passOk;
}

export function operatorAuth(user: string, password: string): RequestHandler {
  return (req, res, next) => {
    if (isOperator(req.headers.authorization, user, password)) return next();
    res.setHeader('WWW-Authenticate', OPERATOR_REALM);
    throw new AppError('AUTH.OPERATOR_REQUIRED', 'operator credentials required');
  };
}
