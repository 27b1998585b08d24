import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@wa-dispatch/testing';

// The database itself refuses rows that would mix tenants, independent of
// any application code. Each case writes raw SQL so no code path can help.
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('constraints');
  await db.pool.query(`INSERT INTO tenants (chat_id, name) VALUES (1001, 'A'), (1002, 'B'), (-1003, 'C group')`);
  await db.pool.query(
    `INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard, status, numero_whatsapp)
     VALUES ('user_1001', 1001, 3, 'connected', '5511988887777'),
            ('user_1002', 1002, 5, 'unlinked', NULL),
            ('user_-1003', -1003, 1, 'unlinked', NULL)`,
  );
});

afterAll(async () => {
  await db?.drop();
});

async function rejects(sql: string, params: unknown[] = []): Promise<string> {
  try {
    await db.pool.query(sql, params);
  } catch (e) {
    return (e as { constraint?: string; code?: string }).constraint ?? (e as { code: string }).code;
  }
  throw new Error(`expected the database to refuse: ${sql}`);
}

describe('whatsapp_sessions', () => {
  it('refuses a session id that is not user_{chat_id}', async () => {
    await db.pool.query(`INSERT INTO tenants (chat_id, name) VALUES (2001, 'D')`);
    expect(
      await rejects(`INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard) VALUES ('bot_clientes', 2001, 0)`),
    ).toBe('whatsapp_sessions_session_id_owner_check');
    expect(
      await rejects(`INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard) VALUES ('user_1001', 2001, 0)`),
    ).toMatch(/whatsapp_sessions_pkey|owner_check/);
    expect(
      await rejects(`UPDATE whatsapp_sessions SET chat_id_usuario = 1002 WHERE session_id = 'user_1001'`),
    ).toMatch(/owner_check|chat_id_usuario_key/);
  });

  it('accepts negative (group) chat ids', async () => {
    const { rows } = await db.pool.query(`SELECT session_id FROM whatsapp_sessions WHERE chat_id_usuario = -1003`);
    expect(rows[0]?.session_id).toBe('user_-1003');
  });

  it('holds one session row per tenant', async () => {
    expect(
      await rejects(`INSERT INTO whatsapp_sessions (session_id, chat_id_usuario, shard) VALUES ('user_1001', 1001, 3)`),
    ).toBe('whatsapp_sessions_pkey');
  });

  it('refuses a second tenant linking a number already linked', async () => {
    expect(
      await rejects(
        `UPDATE whatsapp_sessions SET numero_whatsapp = '5511988887777', status = 'connected' WHERE session_id = 'user_1002'`,
      ),
    ).toBe('whatsapp_sessions_linked_number_key');
  });

  it('lets a number move on once its old link is logged out', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE whatsapp_sessions SET status = 'logged_out' WHERE session_id = 'user_1001'`);
      await client.query(
        `UPDATE whatsapp_sessions SET numero_whatsapp = '5511988887777', status = 'connecting' WHERE session_id = 'user_1002'`,
      );
      const { rows } = await client.query(
        `SELECT session_id FROM whatsapp_sessions WHERE numero_whatsapp = '5511988887777' AND status IN ('connecting','connected')`,
      );
      expect(rows.map((r) => r.session_id)).toEqual(['user_1002']);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('refuses a malformed number', async () => {
    expect(
      await rejects(`UPDATE whatsapp_sessions SET numero_whatsapp = '+5511988' WHERE session_id = 'user_1002'`),
    ).toBe('whatsapp_sessions_numero_whatsapp_check');
  });
});

describe('messages', () => {
  const insert = `INSERT INTO messages (id, chat_id, session_id, to_phone, text, idempotency_key)
                  VALUES (gen_random_uuid(), $1, $2, '5511912345678', 'hi', $3)`;

  it("refuses a message whose session is another tenant's", async () => {
    expect(await rejects(insert, [1001, 'user_1002', null])).toMatch(/messages_session_id_chat_id_fkey|messages_session_owner_check/);
  });

  it('refuses a message pointing at a session that does not exist', async () => {
    expect(await rejects(insert, [1001, 'user_9999', null])).toMatch(/fkey|owner_check/);
  });

  it('refuses a duplicate idempotency key for the same tenant only', async () => {
    await db.pool.query(insert, [1001, 'user_1001', 'k-1']);
    expect(await rejects(insert, [1001, 'user_1001', 'k-1'])).toBe('messages_chat_id_idempotency_key_key');
    await db.pool.query(insert, [1002, 'user_1002', 'k-1']);
  });

  it('refuses bad recipients and empty text', async () => {
    expect(
      await rejects(
        `INSERT INTO messages (id, chat_id, session_id, to_phone, text) VALUES (gen_random_uuid(), 1001, 'user_1001', '0123', 'x')`,
      ),
    ).toBe('messages_to_phone_check');
    expect(
      await rejects(
        `INSERT INTO messages (id, chat_id, session_id, to_phone, text) VALUES (gen_random_uuid(), 1001, 'user_1001', '5511912345678', '')`,
      ),
    ).toBe('messages_text_length_check');
  });

  it('refuses an unknown status', async () => {
    expect(await rejects(`UPDATE messages SET status = 'bogus' WHERE chat_id = 1001`)).toBe('22P02');
  });
});

describe('inbound_messages', () => {
  it("refuses a reply filed under another tenant's session", async () => {
    expect(
      await rejects(
        `INSERT INTO inbound_messages (id, chat_id, session_id, from_jid, wa_message_id)
         VALUES (gen_random_uuid(), 1002, 'user_1001', '5511912345678@s.whatsapp.net', 'X1')`,
      ),
    ).toMatch(/fkey|owner_check/);
  });
});

describe('api_keys', () => {
  it('stores a hash and demands a chat_id exactly for tenant keys', async () => {
    const hash = 'a'.repeat(64);
    expect(
      await rejects(`INSERT INTO api_keys (id, hash, prefix, scope) VALUES (gen_random_uuid(), $1, 'wad_t_', 'tenant')`, [hash]),
    ).toBe('api_keys_scope_chat_id_check');
    expect(
      await rejects(
        `INSERT INTO api_keys (id, hash, prefix, scope, chat_id) VALUES (gen_random_uuid(), $1, 'wad_a_', 'admin', 1001)`,
        [hash],
      ),
    ).toBe('api_keys_scope_chat_id_check');
    expect(
      await rejects(`INSERT INTO api_keys (id, hash, prefix, scope) VALUES (gen_random_uuid(), 'wad_plaintext_key', 'wad_', 'admin')`),
    ).toBe('api_keys_hash_check');
  });
});

describe('tenants', () => {
  it('refuses chat_id 0', async () => {
    expect(await rejects(`INSERT INTO tenants (chat_id, name) VALUES (0, 'zero')`)).toBe('tenants_chat_id_check');
  });

  it('keeps pacing limits a JSON object (or null)', async () => {
    expect(await rejects(`UPDATE tenants SET limits = '[1]'::jsonb WHERE chat_id = 1001`)).toBe('tenants_limits_object_check');
    await db.pool.query(`UPDATE tenants SET limits = '{"ratePerMinute": 2}'::jsonb WHERE chat_id = 1001`);
  });
});

describe('dispatch_switches', () => {
  it('knows only the all and automatic switches', async () => {
    expect(await rejects(`INSERT INTO dispatch_switches (key, paused) VALUES ('tenant', true)`)).toBe('dispatch_switches_key_check');
    await db.pool.query(`INSERT INTO dispatch_switches (key, paused) VALUES ('all', false), ('automatic', false)`);
  });
});

describe('webhooks', () => {
  const hookA = '01900000-0000-7000-8000-00000000a001';
  const hookB = '01900000-0000-7000-8000-00000000b001';
  const delivery = '01900000-0000-7000-8000-00000000d001';

  beforeAll(async () => {
    await db.pool.query(
      `INSERT INTO webhooks (id, chat_id, url, events, secret_encrypted)
       VALUES ($1, 1001, 'https://a.example/h', '{message.status}', 'sealed'), ($2, 1002, 'https://b.example/h', '{message.status}', 'sealed')`,
      [hookA, hookB],
    );
    await db.pool.query(
      `INSERT INTO webhook_deliveries (id, webhook_id, chat_id, event, payload) VALUES ($1, $2, 1001, 'message.status', '{}')`,
      [delivery, hookA],
    );
  });

  it("refuses a delivery of one tenant's event to another tenant's webhook", async () => {
    expect(
      await rejects(
        `INSERT INTO webhook_deliveries (id, webhook_id, chat_id, event, payload) VALUES (gen_random_uuid(), $1, 1001, 'message.status', '{}')`,
        [hookB],
      ),
    ).toBe('webhook_deliveries_webhook_id_chat_id_fkey');
    expect(await rejects(`UPDATE webhook_deliveries SET chat_id = 1002 WHERE id = $1`, [delivery])).toBe(
      'webhook_deliveries_webhook_id_chat_id_fkey',
    );
  });

  it("refuses an attempt row under another tenant than its delivery's", async () => {
    expect(
      await rejects(
        `INSERT INTO webhook_delivery_attempts (delivery_id, chat_id, attempt, started_at, duration_ms, outcome)
         VALUES ($1, 1002, 1, now(), 5, 'delivered')`,
        [delivery],
      ),
    ).toBe('webhook_delivery_attempts_delivery_id_chat_id_fkey');
  });

  it('knows only its statuses and outcomes', async () => {
    expect(await rejects(`UPDATE webhook_deliveries SET status = 'sent' WHERE id = $1`, [delivery])).toBe('webhook_deliveries_status_check');
    expect(
      await rejects(
        `INSERT INTO webhook_delivery_attempts (delivery_id, chat_id, attempt, started_at, duration_ms, outcome)
         VALUES ($1, 1001, 1, now(), 5, 'maybe')`,
        [delivery],
      ),
    ).toBe('webhook_delivery_attempts_outcome_check');
    expect(
      await rejects(
        `INSERT INTO webhook_delivery_attempts (delivery_id, chat_id, attempt, started_at, duration_ms, outcome)
         VALUES ($1, 1001, 0, now(), 5, 'retry')`,
        [delivery],
      ),
    ).toBe('webhook_delivery_attempts_attempt_check');
  });
});

describe('schedule_runs', () => {
  it('knows only its outcomes, and a held run says until when', async () => {
    const { rows } = await db.pool.query(
      `INSERT INTO reminder_schedules (id, chat_id, to_phone, template, interval_ms) VALUES (gen_random_uuid(), 1001, '5521970001111', 'x', 60000) RETURNING id`,
    );
    const id = rows[0].id as string;
    const run = `INSERT INTO schedule_runs (id, schedule_id, fire_time, outcome, held_until) VALUES (gen_random_uuid(), $1, now(), $2, $3)`;
    expect(await rejects(run, [id, 'sent', null])).toBe('schedule_runs_outcome_check');
    expect(await rejects(run, [id, 'held', null])).toBe('schedule_runs_held_check');
    await db.pool.query(run, [id, 'held', new Date()]);
  });
});
