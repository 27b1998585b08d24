import QRCode from 'qrcode';
import { AppError, formatChatId, maskPhone, parseChatId, sessionIdFor } from '@wa-dispatch/core';
import type { SessionRepository, SessionView, TenantRepository } from '@wa-dispatch/db';
import type { QrStore, SessionSignal } from '@wa-dispatch/queue';
import { parseCommandArgs, UsageError } from '../args.js';
import { toJson, type CliIo } from '../cli-io.js';

/**
 * Linking a tenant's own WhatsApp number from a terminal: the same steps as
 * `POST /v1/tenants/{chatId}/session`, then the QR the worker hands over
 * (QrStore) is drawn in the terminal, again on each rotation, until the
 * tenant's phone scans it.
 */
export interface SessionDeps {
  tenants: Pick<TenantRepository, 'exists'>;
  sessions: Pick<SessionRepository, 'requestOpen' | 'findView' | 'logoutAndWipe'>;
  signal: Pick<SessionSignal, 'publish'>;
  qrs: Pick<QrStore, 'get' | 'clear'>;
}

export interface SessionLinkOptions {
  timeoutMs?: number;
  pollMs?: number;
  /** Draws a QR value for the terminal (default: qrcode's small terminal renderer). */
  render?: (qr: string) => Promise<string>;
  /** Called with each new QR value (tests). */
  onQr?: (qr: string) => void;
}

export interface SessionLinkResult {
  chatId: string;
  sessionId: string;
  status: 'connected';
  /** masked */
  number: string | null;
}

export const SESSION_USAGE = `Usage: wa-dispatch session <command>

Links a tenant's own WhatsApp number (session user_<chatId>).

Commands:
  link <chatId> [--timeout <s>] [--json]   start linking, show the QR in the terminal, wait for the scan
  status <chatId> [--json]                 status, linked number (masked), shard, last error
  logout <chatId>                          log out (also on WhatsApp's side), release the number, wipe auth state

Run "wa-dispatch session <command> --help" for details.`;

const USAGE: Record<string, string> = {
  link: `Usage: wa-dispatch session link <chatId> [--timeout <seconds>] [--json]

Starts linking the tenant's own session user_<chatId> (row -> "pending_qr",
the worker holding its shard is signalled), then prints the QR WhatsApp shows
for it, again each time it rotates, until the tenant's phone scans it
(WhatsApp > Settings > Linked devices > Link a device). Waits until the
session is connected (prints the number, masked), the QR expires, or
--timeout (default 180 s) passes. A worker must be running.
Errors: TENANT.NOT_FOUND, SESSION.ALREADY_LINKED, SESSION.NUMBER_TAKEN,
SESSION.QR_NOT_AVAILABLE (expired or timed out), SESSION.BANNED.`,
  status: `Usage: wa-dispatch session status <chatId> [--json]

The session's status, linked number (masked), shard and last error.`,
  logout: `Usage: wa-dispatch session logout <chatId>

Logs the session out: the row becomes "logged_out", its number is released,
its auth state wiped, and the worker logs the live socket out of WhatsApp.`,
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function loadView(deps: SessionDeps, chatId: bigint): Promise<SessionView> {
  const row = await deps.sessions.findView(sessionIdFor(chatId));
  if (row) return row;
  if (!(await deps.tenants.exists(chatId))) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
  throw new AppError('SESSION.NOT_FOUND', 'the tenant has no session');
}

/** Starts linking, like POST /v1/tenants/{chatId}/session. */
export async function startSessionLink(deps: SessionDeps, chatId: bigint): Promise<string> {
  if (!(await deps.tenants.exists(chatId))) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
  const sessionId = sessionIdFor(chatId);
  if (!(await deps.sessions.requestOpen(sessionId, 'pending_qr'))) {
    const row = await loadView(deps, chatId);
    if (row.status === 'banned') throw new AppError('SESSION.BANNED', 'this session was banned by WhatsApp; log it out to link again');
    throw new AppError('SESSION.ALREADY_LINKED', `the session is ${row.status}; log it out before linking another number`);
  }
  await deps.signal.publish(sessionId);
  return sessionId;
}

export async function sessionLink(deps: SessionDeps, chatId: bigint, io: CliIo, opts: SessionLinkOptions = {}): Promise<SessionLinkResult> {
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const pollMs = opts.pollMs ?? 500;
  const render = opts.render ?? ((qr: string) => QRCode.toString(qr, { type: 'terminal', small: true }));
  const sessionId = await startSessionLink(deps, chatId);
  io.err(`linking ${sessionId}: waiting for the worker to show a QR…`);
  const deadline = Date.now() + timeoutMs;
  let shown: string | undefined;
  for (;;) {
    const row = await loadView(deps, chatId);
    switch (row.status) {
      case 'connected':
        return {
          chatId: formatChatId(chatId),
          sessionId,
          status: 'connected',
          number: row.numeroWhatsapp === null ? null : maskPhone(row.numeroWhatsapp),
        };
      case 'qr_expired':
        throw new AppError('SESSION.QR_NOT_AVAILABLE', 'no QR was scanned in time; run the command again');
      case 'banned':
        throw new AppError('SESSION.BANNED', 'WhatsApp banned this number');
      case 'logged_out':
        if (row.lastError?.startsWith('SESSION.NUMBER_TAKEN')) {
          throw new AppError('SESSION.NUMBER_TAKEN', 'this WhatsApp number is already linked to another tenant');
        }
        throw new AppError('SESSION.LOGGED_OUT', 'the session was logged out while linking');
      default:
        break;
    }
    const stored = await deps.qrs.get(row.shard, sessionId);
    if (stored && stored.qr !== shown) {
      shown = stored.qr;
      opts.onQr?.(stored.qr);
      io.out(await render(stored.qr));
      io.err(
        `scan with the tenant's own phone: WhatsApp > Settings > Linked devices > Link a device ` +
          `(this QR is valid until ${stored.expiresAt.toISOString()}; a new one is printed when it rotates)`,
      );
    }
    if (Date.now() >= deadline) throw new AppError('SESSION.QR_NOT_AVAILABLE', `not linked within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(pollMs);
  }
}

export async function sessionLogout(deps: SessionDeps, chatId: bigint): Promise<string> {
  const row = await loadView(deps, chatId);
  if (!(await deps.sessions.logoutAndWipe(row.sessionId))) throw new AppError('SESSION.NOT_FOUND', 'the tenant has no session');
  await deps.qrs.clear(row.shard, row.sessionId);
  await deps.signal.publish(row.sessionId);
  return row.sessionId;
}

function parseTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[1-9][0-9]{0,5}$/.test(raw)) throw new AppError('VALIDATION.INVALID_PARAM', '--timeout must be a whole number of seconds');
  return Number(raw) * 1000;
}

export async function sessionCommand(argv: readonly string[], deps: () => SessionDeps, io: CliIo): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(SESSION_USAGE);
    if (sub === undefined) throw new UsageError('missing command', SESSION_USAGE);
    return;
  }
  const usage = USAGE[sub];
  if (usage === undefined) throw new UsageError(`unknown command "session ${sub}"`, SESSION_USAGE);
  switch (sub) {
    case 'link': {
      const args = parseCommandArgs(rest, { json: { type: 'boolean' }, timeout: { type: 'string' } }, usage, { min: 1, max: 1 });
      if (args.help) return void io.out(usage);
      const timeoutMs = parseTimeout(args.values.timeout);
      const result = await sessionLink(deps(), parseChatId(args.positionals[0]), io, timeoutMs === undefined ? {} : { timeoutMs });
      io.out(args.values.json ? toJson(result) : `linked ${result.sessionId} to ${result.number ?? '(unknown number)'}`);
      return;
    }
    case 'status': {
      const args = parseCommandArgs(rest, { json: { type: 'boolean' } }, usage, { min: 1, max: 1 });
      if (args.help) return void io.out(usage);
      const row = await loadView(deps(), parseChatId(args.positionals[0]));
      const view = {
        sessionId: row.sessionId,
        status: row.status,
        number: row.numeroWhatsapp === null ? null : maskPhone(row.numeroWhatsapp),
        shard: row.shard,
        lastError: row.lastError,
        linkedAt: row.linkedAt?.toISOString() ?? null,
      };
      if (args.values.json) return void io.out(toJson(view));
      io.out(`${view.sessionId}  ${view.status}  number ${view.number ?? '-'}  shard ${view.shard}${view.lastError ? `  last error ${view.lastError}` : ''}`);
      return;
    }
    case 'logout': {
      const args = parseCommandArgs(rest, {}, usage, { min: 1, max: 1 });
      if (args.help) return void io.out(usage);
      const sessionId = await sessionLogout(deps(), parseChatId(args.positionals[0]));
      io.out(`${sessionId} logged out; its number was released and its auth state wiped`);
      return;
    }
    default:
      throw new UsageError(`unknown command "session ${sub}"`, SESSION_USAGE);
  }
}
