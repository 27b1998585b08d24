import {
  AppError,
  formatChatId,
  maskPhone,
  normalizePhone,
  parseChatId,
  sessionIdFor,
} from '@wa-dispatch/core';
import type { SessionRepository, TenantRepository } from '@wa-dispatch/db';
import type { SessionSignal } from '@wa-dispatch/queue';
import type { SimulatedFaultKind, SimulatedSend, SimulatorControl } from '@wa-dispatch/whatsapp';
import { oneOf, parseCommandArgs, UsageError } from '../args.js';
import { table, toJson, type CliIo } from '../cli-io.js';

/**
 * Control of the WhatsApp simulator (WHATSAPP_TRANSPORT=simulator): a dev and
 * test tool, never a production path. `sim sent --json` prints full phone
 * numbers and message texts of everything the simulator recorded.
 */
export interface SimDeps {
  control: Pick<SimulatorControl, 'link' | 'sent' | 'injectInbound' | 'failNextSends' | 'disconnect' | 'logout' | 'currentQr' | 'scan' | 'pair'>;
  tenants: Pick<TenantRepository, 'exists'>;
  sessions: Pick<SessionRepository, 'requestOpen'>;
  signal: Pick<SessionSignal, 'publish'>;
}

export type SimLinkDeps = Pick<SimDeps, 'control' | 'tenants' | 'sessions' | 'signal'>;

const FAULT_KINDS = ['transient', 'rate_limited', 'restricted', 'reachout_locked'] as const satisfies readonly SimulatedFaultKind[];

export const SIM_USAGE = `Usage: wa-dispatch sim <command>

Drives the WhatsApp simulator (WHATSAPP_TRANSPORT=simulator). A dev/test tool:
it is not part of a production deployment.

Commands:
  link <chatId> <phone>                  simulated QR scan: link the tenant's session to <phone>
  scan <chatId> <phone> [--companion]    the phone <phone> scans the QR the session shows now
  pair <code>                            the phone types a pairing code (POST …/session/pairing-code)
  sent [--chat-id <id>] [--json]         list recorded sends (--json: full numbers and texts)
  inbound <chatId> <fromPhone> <text>    a contact writes to the tenant's session
  fail <chatId> <n> [--kind <kind>]      the session's next <n> sends fail
  disconnect <chatId>                    the session's socket drops (it reconnects)
  logout <chatId>                        logout from the phone (frees the number)

Run "wa-dispatch sim <command> --help" for details.`;

const USAGE: Record<string, string> = {
  link: `Usage: wa-dispatch sim link <chatId> <phone> [--json]

Simulated QR scan: the phone <phone> links the tenant's own session
user_<chatId>; the session row becomes "connecting" and the worker holding
its shard is signalled to open it. The tenant must exist.
Errors: TENANT.NOT_FOUND, PHONE.INVALID, SESSION.NUMBER_TAKEN, SESSION.ALREADY_LINKED.`,
  scan: `Usage: wa-dispatch sim scan <chatId> <phone> [--companion] [--json]

The phone <phone> scans the QR the tenant's session shows right now (start
linking first: "wa-dispatch session link <chatId>" or POST …/session); the
open session then connects by itself. --companion links even when <phone> is
linked to another session (real WhatsApp allows several linked devices), to
try the dispatcher's own "one number, one tenant" refusal.
Errors: SESSION.QR_NOT_AVAILABLE, SESSION.NUMBER_TAKEN, PHONE.INVALID.`,
  pair: `Usage: wa-dispatch sim pair <code> [--json]

The phone types the pairing code <code> a linking session handed out
(POST /v1/tenants/{chatId}/session/pairing-code): the session is linked to
the phone number given there. Errors: SESSION.QR_NOT_AVAILABLE (unknown,
used or expired code), SESSION.NUMBER_TAKEN.`,
  sent: `Usage: wa-dispatch sim sent [--chat-id <id>] [--json]

Lists every send the simulator recorded, oldest first (optionally only one
tenant's). The table masks phone numbers and shows text lengths; --json
prints a JSON array of the full records, numbers and texts included (for
tests and development only).`,
  inbound: `Usage: wa-dispatch sim inbound <chatId> <fromPhone> <text> [--json]

A contact <fromPhone> writes <text> to the tenant's session. Queued until an
open session takes it. Errors: SESSION.NOT_LINKED, PHONE.INVALID.`,
  fail: `Usage: wa-dispatch sim fail <chatId> <n> [--kind transient|rate_limited|restricted|reachout_locked] [--retry-after-ms <ms>]

The session's next <n> sends fail with <kind> (default transient); <n> is a
positive integer or "inf". reachout_locked fails only sends to new contacts.
--retry-after-ms is what rate_limited reports (default 1000).`,
  disconnect: `Usage: wa-dispatch sim disconnect <chatId>

The session's socket drops; an open session reconnects by itself.
Errors: SESSION.NOT_LINKED.`,
  logout: `Usage: wa-dispatch sim logout <chatId>

Logout from the phone: the session is logged out and its number freed.`,
};

export interface SimLinkResult {
  chatId: string;
  sessionId: string;
  phone: string;
  /** false when the session row was already live (or final) and left as it was */
  openRequested: boolean;
}

/**
 * A simulated QR scan, in the order a real one happens: the phone side links
 * (simulator), the session row asks for a live link, then the worker leasing
 * the shard is nudged (the nudge is lossy; workers also resync on their own).
 */
export async function simLink(deps: SimLinkDeps, chatId: bigint, phone: string): Promise<SimLinkResult> {
  const number = normalizePhone(phone);
  if (!(await deps.tenants.exists(chatId))) throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
  const sessionId = sessionIdFor(chatId);
  await deps.control.link(sessionId, number);
  const openRequested = await deps.sessions.requestOpen(sessionId, 'connecting');
  await deps.signal.publish(sessionId);
  return { chatId: formatChatId(chatId), sessionId, phone: number, openRequested };
}

/** A simulated scan of the QR the session shows now (the session must be linking). */
export async function simScan(
  deps: Pick<SimDeps, 'control'>,
  chatId: bigint,
  phone: string,
  opts: { companion?: boolean } = {},
): Promise<{ sessionId: string; phone: string }> {
  const number = normalizePhone(phone);
  const sessionId = sessionIdFor(chatId);
  const qr = await deps.control.currentQr(sessionId);
  if (qr === undefined) {
    throw new AppError('SESSION.QR_NOT_AVAILABLE', 'the session shows no QR now; start linking first (wa-dispatch session link)');
  }
  await deps.control.scan(qr, number, opts);
  return { sessionId, phone: number };
}

export async function simSent(deps: Pick<SimDeps, 'control'>, filter: { chatId?: bigint } = {}): Promise<SimulatedSend[]> {
  return deps.control.sent(filter.chatId === undefined ? {} : { ownerChatId: filter.chatId });
}

function parseCount(raw: string): number {
  if (/^(inf|infinity)$/i.test(raw)) return Number.POSITIVE_INFINITY;
  if (!/^[1-9][0-9]{0,8}$/.test(raw)) throw new AppError('VALIDATION.INVALID_PARAM', 'n must be a positive integer or "inf"');
  return Number(raw);
}

function parseMs(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(raw)) throw new AppError('VALIDATION.INVALID_PARAM', '--retry-after-ms must be a whole number of milliseconds');
  return Number(raw);
}

function sentTable(records: readonly SimulatedSend[]): string {
  if (records.length === 0) return 'no recorded sends';
  return table(
    ['seq', 'at', 'session', 'from', 'to', 'chars'],
    records.map((r) => [
      String(r.seq),
      new Date(r.at).toISOString(),
      r.sessionId,
      r.fromNumber ? maskPhone(r.fromNumber) : '-',
      r.to ? maskPhone(r.to) : '-',
      String([...r.text].length),
    ]),
  );
}

export async function simCommand(argv: readonly string[], deps: () => SimDeps, io: CliIo): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(SIM_USAGE);
    if (sub === undefined) throw new UsageError('missing command', SIM_USAGE);
    return;
  }
  const usage = USAGE[sub];
  if (usage === undefined) throw new UsageError(`unknown command "sim ${sub}"`, SIM_USAGE);
  const json = { json: { type: 'boolean' } } as const;

  switch (sub) {
    case 'link': {
      const args = parseCommandArgs(rest, json, usage, { min: 2 });
      if (args.help) return void io.out(usage);
      const [rawChatId, phone] = args.positionals as [string, string];
      const result = await simLink(deps(), parseChatId(rawChatId), phone);
      if (args.values.json) return void io.out(toJson(result));
      io.out(`linked ${result.sessionId} to ${maskPhone(result.phone)}`);
      io.out(
        result.openRequested
          ? 'session row is now "connecting"; the worker holding its shard was signalled to open it'
          : 'session row was already live or final and was left as it is; the worker was signalled',
      );
      return;
    }
    case 'scan': {
      const args = parseCommandArgs(rest, { ...json, companion: { type: 'boolean' } }, usage, { min: 2 });
      if (args.help) return void io.out(usage);
      const [rawChatId, phone] = args.positionals as [string, string];
      const result = await simScan(deps(), parseChatId(rawChatId), phone, { companion: args.values.companion === true });
      if (args.values.json) return void io.out(toJson(result));
      io.out(`${maskPhone(result.phone)} scanned the QR of ${result.sessionId}; the open session connects by itself`);
      return;
    }
    case 'pair': {
      const args = parseCommandArgs(rest, json, usage, { min: 1 });
      if (args.help) return void io.out(usage);
      const { sessionId } = await deps().control.pair(args.positionals[0] ?? '');
      io.out(args.values.json ? toJson({ sessionId }) : `pairing code accepted: ${sessionId} is linking`);
      return;
    }
    case 'sent': {
      const args = parseCommandArgs(rest, { ...json, 'chat-id': { type: 'string' } }, usage, { min: 0 });
      if (args.help) return void io.out(usage);
      const rawChatId = args.values['chat-id'];
      const records = await simSent(deps(), rawChatId === undefined ? {} : { chatId: parseChatId(rawChatId) });
      io.out(args.values.json ? JSON.stringify(records) : sentTable(records));
      return;
    }
    case 'inbound': {
      const args = parseCommandArgs(rest, json, usage, { min: 3 });
      if (args.help) return void io.out(usage);
      const [rawChatId, fromPhone, text] = args.positionals as [string, string, string];
      const sessionId = sessionIdFor(parseChatId(rawChatId));
      const { waMessageId } = await deps().control.injectInbound(sessionId, { fromPhone, text });
      io.out(args.values.json ? toJson({ sessionId, waMessageId }) : `inbound ${waMessageId} queued for ${sessionId}`);
      return;
    }
    case 'fail': {
      const args = parseCommandArgs(
        rest,
        { kind: { type: 'string' }, 'retry-after-ms': { type: 'string' } },
        usage,
        { min: 2 },
      );
      if (args.help) return void io.out(usage);
      const kind = oneOf(args.values.kind, FAULT_KINDS, 'kind', usage) ?? 'transient';
      const [rawChatId, rawN] = args.positionals as [string, string];
      const sessionId = sessionIdFor(parseChatId(rawChatId));
      const n = parseCount(rawN);
      const retryAfterMs = parseMs(args.values['retry-after-ms']);
      await deps().control.failNextSends(sessionId, n, kind, retryAfterMs === undefined ? {} : { retryAfterMs });
      io.out(`next ${n === Number.POSITIVE_INFINITY ? 'all' : n} send(s) of ${sessionId} fail with ${kind}`);
      return;
    }
    case 'disconnect':
    case 'logout': {
      const args = parseCommandArgs(rest, {}, usage, { min: 1 });
      if (args.help) return void io.out(usage);
      const sessionId = sessionIdFor(parseChatId(args.positionals[0]));
      if (sub === 'disconnect') {
        await deps().control.disconnect(sessionId);
        io.out(`${sessionId} disconnected`);
      } else {
        const wasLinked = await deps().control.logout(sessionId);
        io.out(wasLinked ? `${sessionId} logged out` : `${sessionId} was not linked; nothing to log out`);
      }
      return;
    }
    default:
      throw new UsageError(`unknown command "sim ${sub}"`, SIM_USAGE);
  }
}
