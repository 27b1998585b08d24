import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError, sessionIdFor, shardOf } from '@wa-dispatch/core';
import { SessionSignal } from '@wa-dispatch/queue';
import { SessionRecorder, SimulatorTransport, type SimulatedSend } from '@wa-dispatch/whatsapp';
import { bufferIo } from './cli-io.js';
import { createKey, createTenant, main, simLink } from './index.js';
import { useCliHarness } from './test-support/cli-harness.js';

const SHARDS = 8;
const h = useCliHarness('cli', SHARDS);

let nextChat = 880_000_000n + BigInt(Math.floor(Math.random() * 1_000_000)) * 100n;
const newChat = () => nextChat++;

describe('tenants create', () => {
  it('creates the tenant with its own unlinked session on its shard and prints {chatId, sessionId}', async () => {
    const r = await h.cli('tenants', 'create', '-1001234567890', '--name', 'Acme Ltda', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ chatId: '-1001234567890', sessionId: 'user_-1001234567890' });
    const { rows } = await h.db.pool.query(
      `SELECT t.name, s.session_id, s.status::text, s.shard FROM tenants t JOIN whatsapp_sessions s ON s.chat_id_usuario = t.chat_id
       WHERE t.chat_id = -1001234567890`,
    );
    expect(rows).toEqual([
      { name: 'Acme Ltda', session_id: 'user_-1001234567890', status: 'unlinked', shard: shardOf(-1001234567890n, SHARDS) },
    ]);
    const audit = await h.db.pool.query(`SELECT actor, action FROM audit_events WHERE chat_id = -1001234567890`);
    expect(audit.rows).toEqual([{ actor: 'cli', action: 'tenant.create' }]);
  });

  it('a duplicate is TENANT.ALREADY_EXISTS with exit code 1', async () => {
    const chatId = String(newChat());
    expect((await h.cli('tenants', 'create', chatId, '--name', 'first')).code).toBe(0);
    const r = await h.cli('tenants', 'create', chatId, '--name', 'second');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error TENANT\.ALREADY_EXISTS: /);
    const { rows } = await h.db.pool.query(`SELECT name FROM tenants WHERE chat_id = $1`, [chatId]);
    expect(rows).toEqual([{ name: 'first' }]);
  });

  it('prints chatId and sessionId without --json', async () => {
    const chatId = newChat();
    const r = await h.cli('tenants', 'create', String(chatId), '--name', 'x');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`chatId     ${chatId}`);
    expect(r.stdout).toContain(`sessionId  ${sessionIdFor(chatId)}`);
  });

  it.each([
    [['tenants', 'create', '123'], 2, /^error USAGE: --name is required/],
    [['tenants', 'create', '--name', 'x'], 2, /^error USAGE: missing argument/],
    [['tenants', 'create', '123', '--name', 'x', '--bogus'], 2, /^error USAGE: Unknown option '--bogus'/],
    [['tenants', 'frobnicate'], 2, /^error USAGE: unknown command "tenants frobnicate"/],
    [['tenants', 'create', '12x', '--name', 'x'], 1, /^error CHAT_ID\.INVALID: /],
    [['tenants', 'create', '0', '--name', 'x'], 1, /^error CHAT_ID\.INVALID: /],
    [['nope'], 2, /^error USAGE: unknown command "nope"/],
    [[], 2, /^error USAGE: missing command/],
  ])('%j exits %i', async (argv, code, stderr) => {
    const before = await h.db.pool.query(`SELECT count(*)::int AS n FROM tenants`);
    const r = await h.cli(...argv);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(stderr);
    const after = await h.db.pool.query(`SELECT count(*)::int AS n FROM tenants`);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('--help prints usage and exits 0 without touching anything', async () => {
    const r = await main(['tenants', 'create', '--help'], { io: bufferIo(), env: { SHARD_COUNT: 'not a number' } });
    expect(r).toBe(0);
  });
});

describe('keys', () => {
  it('create prints the key once and stores only its sha256 and display prefix', async () => {
    const r = await h.cli('keys', 'create', '--scope', 'service', '--label', 'billing bot', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; key: string; prefix: string; scope: string; chatId: null };
    expect(out.key).toMatch(/^wad_s_[A-Za-z0-9_-]{43}$/);
    expect(out).toMatchObject({ scope: 'service', chatId: null, prefix: out.key.slice(0, 12) });
    const { rows } = await h.db.pool.query(`SELECT row_to_json(k)::text AS row, hash, prefix, label FROM api_keys k WHERE id = $1`, [out.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].hash).toBe(createHash('sha256').update(out.key).digest('hex'));
    expect(rows[0].prefix).toBe(out.key.slice(0, 12));
    expect(rows[0].label).toBe('billing bot');
    // the secret part appears nowhere in the row
    expect(rows[0].row).not.toContain(out.key.slice(6));
  });

  it('human output puts the key on stdout and the warning on stderr', async () => {
    const r = await h.cli('keys', 'create', '--scope', 'admin');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^key {5}wad_a_[A-Za-z0-9_-]{43}$/m);
    expect(r.stderr).toContain('not shown again');
  });

  it('tenant scope needs --chat-id (usage error) and an existing tenant', async () => {
    expect((await h.cli('keys', 'create', '--scope', 'tenant')).code).toBe(2);
    const missing = await h.cli('keys', 'create', '--scope', 'tenant', '--chat-id', String(newChat()));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error TENANT\.NOT_FOUND: /);
    expect((await h.cli('keys', 'create', '--scope', 'admin', '--chat-id', '5')).code).toBe(2);
    expect((await h.cli('keys', 'create', '--scope', 'root')).code).toBe(2);

    const chatId = -(1_000_000_000_000n + newChat());
    await createTenant(h.runtime, { chatId, name: 'group' });
    const r = await h.cli('keys', 'create', '--scope', 'tenant', '--chat-id', String(chatId), '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; key: string; chatId: string };
    expect(out.key.startsWith('wad_t_')).toBe(true);
    expect(out.chatId).toBe(String(chatId));
    const { rows } = await h.db.pool.query(`SELECT chat_id::text, scope::text FROM api_keys WHERE id = $1`, [out.id]);
    expect(rows).toEqual([{ chat_id: String(chatId), scope: 'tenant' }]);
  });

  it('createKey refuses a tenant key without a chat id', async () => {
    const err = await createKey(h.runtime, { scope: 'tenant' }).catch((e: unknown) => e);
    expect(AppError.is(err) && err.code).toBe('VALIDATION.INVALID_PARAM');
  });

  it('revoke sets revoked_at; unknown ids are API_KEY.NOT_FOUND', async () => {
    const made = await createKey(h.runtime, { scope: 'admin' });
    const r = await h.cli('keys', 'revoke', made.id);
    expect(r).toMatchObject({ code: 0, stdout: `revoked ${made.id}` });
    const { rows } = await h.db.pool.query(`SELECT revoked_at FROM api_keys WHERE id = $1`, [made.id]);
    expect(rows[0].revoked_at).toBeInstanceOf(Date);
    expect((await h.cli('keys', 'revoke', made.id)).code).toBe(0); // idempotent
    const unknown = await h.cli('keys', 'revoke', '01890a5d-ac96-774b-bcce-b302099a8057');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error API_KEY\.NOT_FOUND: /);
    expect((await h.cli('keys', 'revoke', 'not-a-uuid')).stderr).toMatch(/^error VALIDATION\.INVALID_PARAM: /);
    expect((await h.cli('keys', 'revoke')).code).toBe(2);
  });
});

describe('sim', () => {
  it('link links the simulator, marks the session row connecting and signals the shard worker', async () => {
    const chatId = -(2_000_000_000_000n + newChat());
    const sessionId = sessionIdFor(chatId);
    await createTenant(h.runtime, { chatId, name: 'linker' });
    const seen: string[] = [];
    const unsubscribe = await new SessionSignal({ redis: h.redis.client, prefix: h.redis.prefix }).subscribe((id) => seen.push(id));
    try {
      const r = await h.cli('sim', 'link', String(chatId), '+55 11 99876-0001');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('5511998760001'); // masked for humans
      const { rows } = await h.db.pool.query(`SELECT status::text FROM whatsapp_sessions WHERE session_id = $1`, [sessionId]);
      expect(rows).toEqual([{ status: 'connecting' }]);
      expect(await h.runtime.control.sessionInfo(sessionId)).toEqual({ sessionId, status: 'linked', number: '5511998760001' });
      await expect.poll(() => seen, { timeout: 2_000 }).toContain(sessionId);
    } finally {
      await unsubscribe();
    }
  });

  it('link refuses an unknown tenant before touching the simulator', async () => {
    const chatId = newChat();
    const r = await h.cli('sim', 'link', String(chatId), '5511998760002');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error TENANT\.NOT_FOUND: /);
    expect((await h.runtime.control.sessionInfo(sessionIdFor(chatId))).status).toBe('unlinked');
  });

  it('link reports the simulator refusing a number held by another session', async () => {
    const a = newChat();
    const b = newChat();
    await createTenant(h.runtime, { chatId: a, name: 'a' });
    await createTenant(h.runtime, { chatId: b, name: 'b' });
    expect((await simLink(h.runtime, a, '5511998760003')).openRequested).toBe(true);
    const r = await h.cli('sim', 'link', String(b), '5511998760003', '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error SESSION\.NUMBER_TAKEN: /);
    const { rows } = await h.db.pool.query(`SELECT status::text FROM whatsapp_sessions WHERE session_id = $1`, [sessionIdFor(b)]);
    expect(rows).toEqual([{ status: 'unlinked' }]);
  });

  it('sent --json prints the recorded sends; the table masks numbers', async () => {
    const chatId = newChat();
    const sessionId = sessionIdFor(chatId);
    await createTenant(h.runtime, { chatId, name: 'sender' });
    await simLink(h.runtime, chatId, '5511998760004');
    const transport = new SimulatorTransport({ redis: h.redis.url, prefix: h.runtime.control.prefix, ackDelayMs: 10 });
    try {
      const rec = new SessionRecorder();
      const session = await transport.open({ sessionId, ownerChatId: chatId, epoch: 1n, handlers: rec });
      await rec.waitForState('connected');
      await session.send({ to: '4915112000001', text: 'fatura vence amanhã', clientMessageId: 'cm-cli-1' });
    } finally {
      await transport.shutdown();
    }

    const r = await h.cli('sim', 'sent', '--json', '--chat-id', String(chatId));
    expect(r.code).toBe(0);
    const sent = JSON.parse(r.stdout) as SimulatedSend[];
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      sessionId,
      ownerChatId: String(chatId),
      fromNumber: '5511998760004',
      to: '4915112000001',
      text: 'fatura vence amanhã',
    });
    expect(JSON.parse((await h.cli('sim', 'sent', '--json', '--chat-id', String(newChat()))).stdout)).toEqual([]);

    const human = await h.cli('sim', 'sent', '--chat-id', String(chatId));
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(sessionId);
    expect(human.stdout).not.toContain('5511998760004');
    expect(human.stdout).not.toContain('4915112000001');
    expect(human.stdout).not.toContain('fatura');
  });

  it('fail, inbound, disconnect and logout drive the simulated phone side', async () => {
    const chatId = newChat();
    const sessionId = sessionIdFor(chatId);
    await createTenant(h.runtime, { chatId, name: 'faults' });
    expect((await h.cli('sim', 'disconnect', String(chatId))).stderr).toMatch(/^error SESSION\.NOT_LINKED: /);
    await simLink(h.runtime, chatId, '5511998760005');

    expect((await h.cli('sim', 'fail', String(chatId), '3', '--kind', 'rate_limited', '--retry-after-ms', '2500')).code).toBe(0);
    expect(await h.redis.client.hgetall(h.runtime.control.keys.faults(sessionId))).toMatchObject({
      kind: 'rate_limited',
      remaining: '3',
      retryAfterMs: '2500',
    });
    expect((await h.cli('sim', 'fail', String(chatId), 'inf')).code).toBe(0);
    expect(await h.redis.client.hget(h.runtime.control.keys.faults(sessionId), 'remaining')).toBe('-1');
    expect((await h.cli('sim', 'fail', String(chatId), '2', '--kind', 'nuclear')).code).toBe(2);
    expect((await h.cli('sim', 'fail', String(chatId), '0')).code).toBe(1);

    const inbound = await h.cli('sim', 'inbound', String(chatId), '+49 151 12000002', 'oi, paguei', '--json');
    expect(inbound.code).toBe(0);
    expect(JSON.parse(inbound.stdout)).toMatchObject({ sessionId, waMessageId: expect.any(String) });
    expect(await h.redis.client.llen(h.runtime.control.keys.inbox(sessionId))).toBe(1);

    expect((await h.cli('sim', 'disconnect', String(chatId))).code).toBe(0);
    expect((await h.cli('sim', 'logout', String(chatId))).stdout).toBe(`${sessionId} logged out`);
    expect((await h.runtime.control.sessionInfo(sessionId)).status).toBe('logged_out');
  });

  it('every sim command has --help', async () => {
    for (const sub of ['link', 'sent', 'inbound', 'fail', 'disconnect', 'logout']) {
      const io = bufferIo();
      expect(await main(['sim', sub, '--help'], { io, env: {} })).toBe(0);
      expect(io.stdout.join('\n')).toMatch(new RegExp(`^Usage: wa-dispatch sim ${sub}`));
    }
  });
});
