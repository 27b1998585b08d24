import { Router } from 'express';
import type { Db } from '@wa-dispatch/db';
import type { Logger } from '../logger.js';

export interface Pingable {
  ping(): Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 1_000;

async function check(name: string, probe: () => Promise<unknown>, logger: Logger): Promise<'ok' | 'error'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} check timed out`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    logger.warn({ dependency: name, err: err instanceof Error ? err.message.slice(0, 200) : 'unknown' }, 'readiness check failed');
    return 'error';
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * /healthz answers as long as the process serves HTTP (liveness: restarting
 * would not fix a database outage). /readyz asks Postgres and Redis, so a
 * load balancer stops routing to an instance that cannot accept messages.
 */
export function healthRouter(deps: { db: Db; redis: Pingable; logger: Logger }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [postgres, redis] = await Promise.all([
      check('postgres', () => deps.db.$queryRaw`SELECT 1`, deps.logger),
      check('redis', () => deps.redis.ping(), deps.logger),
    ]);
    const ok = postgres === 'ok' && redis === 'ok';
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', checks: { postgres, redis } });
  });
  return router;
}
