import { describe, expect, it } from 'vitest';
import { maskPhone, sessionIdFor, shardOf } from '@wa-dispatch/core';
import { SimulatorTransport } from '@wa-dispatch/whatsapp';
import { bufferIo } from './cli-io.js';
import { createTenant, sessionLink } from './index.js';
import { useCliHarness } from './test-support/cli-harness.js';

// `session link` against the real schema and Redis; the worker's part (put
// the QR, write the status) is played by the test, or by a SimulatorTransport.
const SHARDS = 4;
const h = useCliHarness('cli_session', SHARDS);

describe('session link', () => {
  it('starts linking, prints each new QR, and returns once the row is connected', async () => {
    const chatId = 720_000_001n;
    await createTenant(h.runtime, { chatId, name: 'linker' });
    const sessionId = sessionIdFor(chatId);
    const shard = shardOf(chatId, SHARDS);
    const io = bufferIo();
    const seen: string[] = [];
    const linking = sessionLink(h.runtime, chatId, io, {
      pollMs: 20,
      timeoutMs: 10_000,
      render: async (qr) => `[QR ${qr}]`,
      onQr: (qr) => void seen.push(qr),
    });
    // the worker's side
    await new Promise((r) => setTimeout(r, 100));
    expect((await h.db.pool.query(`SELECT status::text FROM whatsapp_sessions WHERE session_id = $1`, [sessionId])).rows[0].status).toBe('pending_qr');
    await h.runtime.qrs.put(shard, sessionId, 'qr-one', new Date(Date.now() + 5_000));
    await new Promise((r) => setTimeout(r, 150));
    await h.runtime.qrs.put(shard, sessionId, 'qr-two', new Date(Date.now() + 5_000));
    await new Promise((r) => setTimeout(r, 150));
    await h.db.pool.query(`UPDATE whatsapp_sessions SET status = 'connected', numero_whatsapp = '5511965430001' WHERE session_id = $1`, [sessionId]);
    const result = await linking;
    expect(result).toEqual({ chatId: chatId.toString(), sessionId, status: 'connected', number: maskPhone('5511965430001') });
    expect(seen).toEqual(['qr-one', 'qr-two']);
    expect(io.stdout).toEqual(['[QR qr-one]', '[QR qr-two]']);

    const again = await h.cli('session', 'link', chatId.toString());
    expect([again.code, again.stderr]).toEqual([1, expect.stringContaining('error SESSION.ALREADY_LINKED')]);
    const status = await h.cli('session', 'status', chatId.toString(), '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({ sessionId, status: 'connected', number: maskPhone('5511965430001'), shard });
  });

  it('fails with SESSION.QR_NOT_AVAILABLE when the QR expires, and TENANT.NOT_FOUND for no tenant', async () => {
    const chatId = 720_000_002n;
    await createTenant(h.runtime, { chatId, name: 'slow' });
    const linking = sessionLink(h.runtime, chatId, bufferIo(), { pollMs: 20, timeoutMs: 10_000, render: async () => '' });
    await new Promise((r) => setTimeout(r, 100));
    await h.db.pool.query(`UPDATE whatsapp_sessions SET status = 'qr_expired' WHERE session_id = $1`, [sessionIdFor(chatId)]);
    await expect(linking).rejects.toMatchObject({ code: 'SESSION.QR_NOT_AVAILABLE' });
    const none = await h.cli('session', 'link', '720000999');
    expect([none.code, none.stderr]).toEqual([1, expect.stringContaining('error TENANT.NOT_FOUND')]);
    const usage = await h.cli('session', 'link');
    expect(usage.code).toBe(2);
  });

  it('sim scan and sim pair link a session that shows a QR; session logout wipes it', async () => {
    const chatId = 720_000_003n;
    await createTenant(h.runtime, { chatId, name: 'scanner' });
    const sessionId = sessionIdFor(chatId);
    const noQr = await h.cli('sim', 'scan', chatId.toString(), '5511965430003');
    expect([noQr.code, noQr.stderr]).toEqual([1, expect.stringContaining('error SESSION.QR_NOT_AVAILABLE')]);

    const transport = new SimulatorTransport({ redis: h.redis.url, prefix: h.runtime.control.prefix });
    try {
      const states: string[] = [];
      const open = () =>
        transport.open({
          sessionId,
          ownerChatId: chatId,
          epoch: 1n,
          handlers: { onState: (s) => void states.push(s), onReceipt: () => undefined, onInbound: () => undefined },
        });
      const session = await open();
      const scanned = await h.cli('sim', 'scan', chatId.toString(), '5511965430003', '--json');
      expect(scanned.code).toBe(0);
      expect(JSON.parse(scanned.stdout)).toEqual({ sessionId, phone: '5511965430003' });
      for (let i = 0; i < 50 && !states.includes('connected'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(session.linkedNumber()).toBe('5511965430003');
      await session.logout();

      const again = await open();
      for (let i = 0; i < 50 && !(await h.runtime.control.currentQr(sessionId)); i++) await new Promise((r) => setTimeout(r, 20));
      const code = await again.requestPairingCode!('5511965430004');
      const paired = await h.cli('sim', 'pair', code);
      expect([paired.code, paired.stdout]).toEqual([0, `pairing code accepted: ${sessionId} is linking`]);
      for (let i = 0; i < 50 && again.linkedNumber() === undefined; i++) await new Promise((r) => setTimeout(r, 20));
      expect(again.linkedNumber()).toBe('5511965430004');
      expect((await h.cli('sim', 'pair', code)).stderr).toContain('error SESSION.QR_NOT_AVAILABLE');
      await again.close();
    } finally {
      await transport.shutdown();
    }

    await h.db.pool.query(`UPDATE whatsapp_sessions SET status = 'connected', numero_whatsapp = '5511965430004', creds = '{}' WHERE session_id = $1`, [sessionId]);
    const out = await h.cli('session', 'logout', chatId.toString());
    expect(out.code).toBe(0);
    const { rows } = await h.db.pool.query(`SELECT status::text, numero_whatsapp, creds FROM whatsapp_sessions WHERE session_id = $1`, [sessionId]);
    expect(rows[0]).toEqual({ status: 'logged_out', numero_whatsapp: null, creds: null });
  });
});
