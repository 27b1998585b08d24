import { AppError, formatChatId, parseChatId, shardOf, type AuditLog } from '@wa-dispatch/core';
import type { TenantRepository } from '@wa-dispatch/db';
import { parseCommandArgs, UsageError } from '../args.js';
import { toJson, type CliIo } from '../cli-io.js';
import { auditQuietly, CLI_ACTOR } from './audit-note.js';

export interface TenantsDeps {
  tenants: Pick<TenantRepository, 'createWithSession'>;
  audit?: AuditLog;
  shardCount: number;
}

export const TENANTS_USAGE = `Usage: wa-dispatch tenants <command>

Commands:
  create <chatId> --name <name> [--json]   create a tenant and its own unlinked session user_<chatId>

Run "wa-dispatch tenants <command> --help" for details.`;

const CREATE_USAGE = `Usage: wa-dispatch tenants create <chatId> --name <name> [--json]

Creates the tenant (Telegram chat_id; negative for groups) together with its
one WhatsApp session "user_<chatId>", unlinked, on shard shardOf(chatId, SHARD_COUNT).
Prints chatId and sessionId; --json prints {"chatId","sessionId"}.
Errors: CHAT_ID.INVALID, TENANT.ALREADY_EXISTS.`;

export interface CreatedTenant {
  chatId: string;
  sessionId: string;
  shard: number;
}

/** The same write as `POST /v1/tenants`: tenant + session in one transaction. */
export async function createTenant(
  deps: TenantsDeps,
  input: { chatId: bigint; name: string },
  io?: CliIo,
): Promise<CreatedTenant> {
  const shard = shardOf(input.chatId, deps.shardCount);
  const tenant = await deps.tenants.createWithSession({ chatId: input.chatId, name: input.name, shard });
  const sessionId = tenant.session?.sessionId ?? '';
  if (io) await auditQuietly(deps.audit, io, { chatId: tenant.chatId, actor: CLI_ACTOR, action: 'tenant.create', detail: { shard } });
  return { chatId: formatChatId(tenant.chatId), sessionId, shard };
}

export async function tenantsCommand(argv: readonly string[], deps: () => TenantsDeps, io: CliIo): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(TENANTS_USAGE);
    if (sub === undefined) throw new UsageError('missing command', TENANTS_USAGE);
    return;
  }
  if (sub !== 'create') throw new UsageError(`unknown command "tenants ${sub}"`, TENANTS_USAGE);

  const args = parseCommandArgs(rest, { name: { type: 'string' }, json: { type: 'boolean' } }, CREATE_USAGE, { min: 1 });
  if (args.help) return void io.out(CREATE_USAGE);
  const name = args.values.name?.trim();
  if (!name) throw new UsageError('--name is required', CREATE_USAGE);
  if (name.length > 200 || name.includes('\u0000')) {
    throw new AppError('VALIDATION.INVALID_PARAM', 'name must be 1..200 characters without NUL');
  }
  const chatId = parseChatId(args.positionals[0]);
  const created = await createTenant(deps(), { chatId, name }, io);
  if (args.values.json) io.out(toJson({ chatId: created.chatId, sessionId: created.sessionId }));
  else io.out(`chatId     ${created.chatId}\nsessionId  ${created.sessionId}\nshard      ${created.shard}`);
}
