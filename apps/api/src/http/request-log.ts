import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { routeOf } from './error-handler.js';

/**
 * Access log at debug level: route template, status, duration and key id.
 * Never the URL's query, headers or body (they may hold phones or text).
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!logger.isLevelEnabled('debug')) return next();
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const keyId = (res.locals.principal as { keyId?: string } | undefined)?.keyId;
      logger.debug(
        {
          method: req.method,
          route: routeOf(req, res),
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - start) / 1e6,
          ...(keyId ? { keyId } : {}),
        },
        'request',
      );
    });
    next();
  };
}
