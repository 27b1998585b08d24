/**
 * Hands the QRs of linking sessions to the API through Redis (QrStore): each
 * QR WhatsApp shows (and each rotation) is stored under the session's shard,
 * and removed once the link completes, is refused or expires.
 */
import type { TransportSessionState } from '@wa-dispatch/core';
import { QrStore } from '@wa-dispatch/queue';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import type { SessionEventSink } from './session-manager.js';

const CLEAR_ON: ReadonlySet<TransportSessionState> = new Set([
  'connected',
  'logged_out',
  'qr_expired',
  'banned',
  'replaced',
  'quarantined',
]);

export function qrHandOff(o: { redis: Redis; prefix: string; logger: Logger }): Required<Pick<SessionEventSink, 'onQr' | 'onSessionState'>> {
  const qrs = new QrStore({ redis: o.redis, prefix: o.prefix });
  return {
    async onQr(_chatId, qr, expiresAt, session) {
      await qrs
        .put(session.shard, session.sessionId, qr, expiresAt)
        .catch((err: unknown) => o.logger.warn({ err, sessionId: session.sessionId }, 'QR hand-off failed'));
    },
    onSessionState(session, state) {
      if (!CLEAR_ON.has(state)) return;
      void qrs
        .clear(session.shard, session.sessionId)
        .catch((err: unknown) => o.logger.warn({ err, sessionId: session.sessionId }, 'QR clear failed'));
    },
  };
}
