import { Router } from 'express';
import { AppError } from '@wa-dispatch/core';
import type { Authenticator } from '../auth/authenticate.js';
import { isOperator } from '../auth/operator-auth.js';
import type { ApiMetrics } from '../http/api-metrics.js';

/**
 * Prometheus text. Scrapers authenticate either with an admin bearer key or,
 * when OPERATOR_PASSWORD is set, with the operator's Basic credentials (the
 * same people who watch Bull Board). Service and tenant keys get 403.
 */
export function metricsRouter(deps: {
  metrics: ApiMetrics;
  auth: Authenticator;
  operator: { user: string; password: string } | undefined;
}): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    const header = req.headers.authorization;
    if (header !== undefined && /^Basic /i.test(header)) {
      if (!deps.operator || !isOperator(header, deps.operator.user, deps.operator.password)) {
        throw new AppError('AUTH.OPERATOR_REQUIRED', 'operator credentials required');
      }
    } else {
      const principal = await deps.auth.resolve(header);
      if (principal.scope !== 'admin') throw new AppError('AUTH.FORBIDDEN', 'metrics need an admin key or operator credentials');
    }
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  return router;
}
