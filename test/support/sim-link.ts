import type { Redis } from 'ioredis';
import type pg from 'pg';
import { sessionIdFor } from '@wa-dispatch/core';
import { SessionSignal } from '@wa-dispatch/queue';
import type { SimulatorControl } from '@wa-dispatch/whatsapp';

/** A simulated QR scan, as `wa-dispatch sim link` does it: phone side, then the session row, then a nudge. */
export async function simLink(
  deps: { control: SimulatorControl; pool: pg.Pool; redis: Redis; prefix: string },
  chatId: bigint,
  phone: string,
): Promise<void> {
  const sessionId = sessionIdFor(chatId);
  await deps.control.link(sessionId, phone);
  await deps.pool.query(
    `UPDATE whatsapp_sessions SET status = 'connecting'
     WHERE session_id = $1 AND status IN ('unlinked','logged_out','qr_expired','pending_qr','replaced')`,
    [sessionId],
  );
  await new SessionSignal({ redis: deps.redis, prefix: deps.prefix }).publish(sessionId);
}
