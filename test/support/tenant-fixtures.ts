import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { sessionIdFor, shardOf, type SendJobData } from '@wa-dispatch/core';
import { seedTenants } from '@wa-dispatch/testing';

/**
 * Rows exactly as the API writes them (tenant + its session, outbox row +
 * 'queued' event), straight in SQL so worker tests do not depend on the API.
 */
export async function insertTenant(pool: pg.Pool, chatId: bigint, shardCount: number): Promise<string> {
  await seedTenants(pool, [chatId], shardOf(chatId, shardCount));
  return sessionIdFor(chatId);
}

export async function insertQueuedMessage(pool: pg.Pool, chatId: bigint, to: string, text: string): Promise<SendJobData> {
  const id = randomUUID();
  const sessionId = sessionIdFor(chatId);
  await pool.query(
    `INSERT INTO messages (id, chat_id, session_id, to_phone, text) VALUES ($1, $2, $3, $4, $5)`,
    [id, chatId.toString(), sessionId, to, text],
  );
  await pool.query(`INSERT INTO message_events (message_id, status) VALUES ($1, 'queued')`, [id]);
  return { messageId: id, chatId: chatId.toString(), sessionId };
}

export async function statusCounts(pool: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ status: string; n: string }>(
    `SELECT status::text, count(*) AS n FROM messages GROUP BY status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
