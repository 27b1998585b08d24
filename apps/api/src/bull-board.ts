import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { operatorAuth } from './auth/operator-auth.js';

export type BoardQueue = ConstructorParameters<typeof BullMQAdapter>[0];

export const BOARD_PATH = '/admin/queues';

/**
 * Bull Board behind operator Basic auth. Its page uses inline styles and
 * Google Fonts, which helmet's default CSP blocks, so it gets its own
 * relaxed-for-styles CSP (scripts stay 'self' only) and is mounted before
 * the app-wide helmet. Jobs hold ids only, so operators see no tenant data.
 */
export function bullBoardHandlers(opts: {
  queues: readonly BoardQueue[];
  user: string;
  password: string;
}): RequestHandler[] {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: opts.queues.map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'wa-dispatch' } },
  });
  const csp = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
        fontSrc: ["'self'", 'https://fonts.gstatic.com', 'data:'],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        // helmet's default would make browsers fetch the board's scripts over
        // https, which breaks it on a plain-http internal port
        upgradeInsecureRequests: null,
      },
    },
  });
  return [csp, operatorAuth(opts.user, opts.password), serverAdapter.getRouter() as RequestHandler];
}
