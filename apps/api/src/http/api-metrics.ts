import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { routeOf } from './error-handler.js';

/**
 * One registry per app instance (not prom-client's global one), so several
 * apps in one process (tests, all-in-one) never clash over metric names.
 * Labels are route templates and statuses only: no ids, no tenants.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'wad_api_http_requests_total',
    help: 'HTTP requests by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'wad_api_http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly accepted = new Counter({
    name: 'wad_api_messages_accepted_total',
    help: 'Send requests accepted into the outbox (new rows only)',
    registers: [this.registry],
  });
  readonly enqueueFailures = new Counter({
    name: 'wad_api_enqueue_failures_total',
    help: 'Accepted messages whose job could not be added (the reconciler re-enqueues them)',
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'wad_api_' });
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      const start = process.hrtime.bigint();
      res.once('finish', () => {
        const route = routeOf(req, res);
        this.requests.inc({ method: req.method, route, status: String(res.statusCode) });
        this.duration.observe({ method: req.method, route }, Number(process.hrtime.bigint() - start) / 1e9);
      });
      next();
    };
  }
}
