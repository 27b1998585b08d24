/**
 * Answers pairing-code requests from the API (PairingRequests in Redis) for
 * the sessions this worker holds open: run on every session nudge; only the
 * worker holding the live session takes the request.
 */
import { AppError } from '@wa-dispatch/core';
import { PairingRequests, type PairingReply } from '@wa-dispatch/queue';
import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';
import type { SessionManager } from './session-manager.js';

export function pairingServer(o: {
  redis: Redis;
  prefix: string;
  sessions: Pick<SessionManager, 'liveShard' | 'requestPairingCode'>;
  logger: Logger;
}): (sessionId: string) => Promise<void> {
  const requests = new PairingRequests({ redis: o.redis, prefix: o.prefix });
  return async (sessionId) => {
    const shard = o.sessions.liveShard(sessionId);
    if (shard === undefined) return; // not ours: the holder answers
    const request = await requests.take(shard, sessionId);
    if (!request) return;
    let reply: PairingReply;
    try {
      reply = { code: await o.sessions.requestPairingCode(sessionId, request.phone) };
    } catch (err) {
      o.logger.warn({ err, sessionId }, 'pairing code request failed');
      reply = AppError.is(err) ? { error: err.code, message: err.message } : { error: 'INTERNAL' };
    }
    await requests.reply(shard, sessionId, request.id, reply);
  };
}
