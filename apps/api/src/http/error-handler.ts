import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, toAppError } from '@wa-dispatch/core';
import type { Logger } from '../logger.js';
import { httpStatusFor } from './error-status.js';

/** body-parser errors carry `type`; their messages may quote the body, so they are never echoed. */
function fromBodyParser(err: unknown): AppError | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return undefined;
  if (type === 'entity.too.large') return new AppError('PAYLOAD.TOO_LARGE', 'request body is too large', { cause: err });
  if (type === 'entity.parse.failed') {
    return new AppError('VALIDATION.INVALID_BODY', 'request body is not valid JSON', { cause: err });
  }
  return new AppError('VALIDATION.INVALID_BODY', 'request body could not be read', { cause: err });
}

const BEARER_CHALLENGE = 'Bearer realm="wa-dispatch"';

/**
 * The one place an error becomes a response: `{"error":{"code","message"}}`
 * with the status from ERROR_STATUS. 500 answers never echo the internal
 * code or message (it may name tables or values); other 5xx exist only for
 * codes the table maps on purpose and keep theirs. Validation issues (paths
 * and zod messages only) are the only details passed through.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = fromBodyParser(err) ?? toAppError(err);
    const status = httpStatusFor(e.code);
    if (status >= 500) {
      logger.error(
        { code: e.code, method: req.method, route: routeOf(req, res), err: describe(e.cause ?? e) },
        'request failed',
      );
    }
    if (status === 401 && e.code !== 'AUTH.OPERATOR_REQUIRED') res.setHeader('WWW-Authenticate', BEARER_CHALLENGE);
    const issues = status < 500 ? e.details.issues : undefined;
    // 501/504... come only from codes mapped on purpose (SESSION.PAIRING_*): their code and message are the API's own
    const expose = status !== 500;
    res.status(status).json({
      error: {
        code: expose ? e.code : 'INTERNAL',
        message: expose ? e.message : 'internal error',
        ...(Array.isArray(issues) ? { details: { issues } } : {}),
      },
    });
  };
}

export const notFoundHandler: RequestHandler = (req) => {
  throw new AppError('NOT_FOUND', `no route for ${req.method} ${req.path.slice(0, 200)}`);
};

/**
 * Route template (never concrete ids) for logs and metrics labels. Express
 * resets req.baseUrl when an error leaves a router, so routers record their
 * label in res.locals.routeLabel while they still know it.
 */
export function routeOf(req: { baseUrl: string; route?: { path?: unknown } }, res: { locals: Record<string, unknown> }): string {
  const label = res.locals.routeLabel;
  if (typeof label === 'string') return label;
  const path = req.route?.path;
  if (typeof path === 'string') return `${req.baseUrl}${path}`;
  return req.baseUrl === '' ? 'unmatched' : req.baseUrl;
}

/** Records the current route template; call first in a route's chain. */
export function labelRoute(req: { baseUrl: string; route?: { path?: unknown } }, res: { locals: Record<string, unknown> }): void {
  const path = req.route?.path;
  if (typeof path === 'string') res.locals.routeLabel = `${req.baseUrl}${path}`;
}

function describe(err: unknown): { name: string; message: string; code?: unknown } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message.slice(0, 500), ...(code !== undefined ? { code } : {}) };
  }
  return { name: 'unknown', message: String(err).slice(0, 200) };
}
