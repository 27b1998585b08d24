/**
 * Optional smoke test: a real Baileys socket, driven by BaileysTransport,
 * against `@openclaw/crabline` (a local fake WhatsApp Web server that
 * completes the Noise handshake, records decrypted sends and injects inbound
 * messages; it has no QR flow and sends no acks).
 *
 * Runs only when the crabline CLI is found: `CRABLINE_BIN=/path/to/crabline.js`,
 * or `@openclaw/crabline` installed in the workspace
 * (`npm i -D @openclaw/crabline@0.1.27 -w @wa-dispatch/whatsapp`). Skipped with
 * the reason otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@wa-dispatch/testing';
import { SessionRecorder, waitUntil } from '../simulator/recorder.js';
import { SessionAuthState } from './auth-state.js';
import { MemoryAuthStateStore } from './memory-auth-store.js';
import { BaileysTransport } from './transport.js';

function findCrabline(): string | undefined {
  const candidates = [
    process.env.CRABLINE_BIN,
    join(repoRoot, 'node_modules/@openclaw/crabline/dist/src/bin/crabline.js'),
    join(repoRoot, 'packages/whatsapp/node_modules/@openclaw/crabline/dist/src/bin/crabline.js'),
  ];
  return candidates.find((p): p is string => typeof p === 'string' && p !== '' && existsSync(p));
}

interface Manifest {
  selfJid: string;
  adminToken: string;
  recorderPath: string;
  endpoints: { baileysWebSocketUrl: string; adminInboundUrl: string };
}

const bin = findCrabline();
const SKIP_REASON =
  'crabline not installed (set CRABLINE_BIN or `npm i -D @openclaw/crabline@0.1.27 -w @wa-dispatch/whatsapp`)';

let server: ChildProcess | undefined;
let dir: string | undefined;

afterAll(async () => {
  // wait for crabline to exit: it writes into `dir` until it does
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
});

async function startCrabline(path: string): Promise<Manifest | string> {
  dir = mkdtempSync(join(tmpdir(), 'wad-crabline-'));
  const readyFile = join(dir, 'ready.json');
  let output = '';
  server = spawn(process.execPath, [path, '--json', 'serve', 'whatsapp', '--ready-file', readyFile], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  try {
    await waitUntil(() => existsSync(readyFile) && readFileSync(readyFile, 'utf8').trim().endsWith('}'), {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: 'crabline ready file',
    });
  } catch {
    return `crabline did not start: ${output.slice(0, 300)}`;
  }
  return JSON.parse(readFileSync(readyFile, 'utf8')) as Manifest;
}

function recorded(manifest: Manifest): string {
  return existsSync(manifest.recorderPath) ? readFileSync(manifest.recorderPath, 'utf8') : '';
}

describe('BaileysTransport against crabline (real Baileys socket)', () => {
  it.skipIf(!bin)(`connects, sends, receives and restores without a scan${bin ? '' : ` — skipped: ${SKIP_REASON}`}`, async (ctx) => {
    const started = await startCrabline(bin as string);
    if (typeof started === 'string') return ctx.skip(started);
    const manifest = started;
    const sessionId = 'user_7';
    const store = new MemoryAuthStateStore();
    store.addSession(sessionId);
    // crabline has no QR flow: seed creds as if the phone had linked them
    const seed = await SessionAuthState.load({ store, sessionId, epoch: 1n });
    await seed.saveCreds({ me: { id: manifest.selfJid }, registered: true });

    const makeTransport = () =>
      new BaileysTransport({
        authStore: store,
        socketConfig: { waWebSocketUrl: manifest.endpoints.baileysWebSocketUrl, connectTimeoutMs: 5_000 },
      });
    const transport = makeTransport();
    const rec = new SessionRecorder();
    const session = await transport.open({ sessionId, ownerChatId: 7n, epoch: 1n, handlers: rec });
    expect(await rec.waitForState('connected', { timeoutMs: 10_000 })).toEqual({ number: manifest.selfJid.split('@')[0] });
    expect(store.keyCount(sessionId)).toBeGreaterThan(0); // Baileys wrote signal keys through the store

    const sent = await session.send({ to: '15551234567', text: 'smoke nonce-1', clientMessageId: 'WADSMOKE0001' });
    expect(sent).toEqual({ waMessageId: 'WADSMOKE0001' });
    await waitUntil(() => /"accepted":true[^\n]*"id":"WADSMOKE0001"/.test(recorded(manifest)), { timeoutMs: 5_000 });

    const res = await fetch(manifest.endpoints.adminInboundUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Crabline-Admin-Token': manifest.adminToken },
      body: JSON.stringify({ chatJid: '15551234567@s.whatsapp.net', senderJid: '15551234567@s.whatsapp.net', text: 'reply nonce-2' }),
    });
    expect(res.status).toBe(200);
    await waitUntil(() => rec.inbound.length > 0, { timeoutMs: 10_000, what: 'inbound' });
    expect(rec.inbound[0]).toMatchObject({ fromJid: '15551234567@s.whatsapp.net', fromPhone: '15551234567', text: 'reply nonce-2' });
    await transport.shutdown();

    // another worker (new transport, newer epoch) restores the session from the store: no QR
    const next = makeTransport();
    const rec2 = new SessionRecorder();
    const restored = await next.open({ sessionId, ownerChatId: 7n, epoch: 2n, handlers: rec2 });
    await rec2.waitForState('connected', { timeoutMs: 10_000 });
    expect(rec2.qrs).toHaveLength(0);
    expect((await restored.send({ to: '15551234567', text: 'again', clientMessageId: 'WADSMOKE0002' })).waMessageId).toBe('WADSMOKE0002');
    await next.shutdown();
    expect(store.epochOf(sessionId)).toBe(2n);
  }, 40_000);
});
