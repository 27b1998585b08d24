import type pg from 'pg';

/**
 * Tenants and their one session row each (`user_{chatId}`), as the API's
 * tenant creation writes them, straight in SQL for repository tests that do
 * not go through the API. All on `shard` (test/support `insertTenant` places
 * each on its own `shardOf`).
 */
export async function seedTenants(pool: pg.Pool, chatIds: readonly bigint[], shard = 0): Promise<void> {
  for (const chatId of chatIds) {
    await pool.query(`INSERT INTO tenants (chat_id, name) VALUES ($1, $2)`, [chatId.toString(), `tenant ${chatId}`]);
    await pool.query(`INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard) VALUES ($1, $2, $3)`, [
      `user_${chatId}`,
      chatId.toString(),
      shard,
    ]);
  }
}
