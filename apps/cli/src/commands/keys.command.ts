import { z } from 'zod';
import { AppError, formatChatId, generateApiKey, parseChatId, type AuditLog, type KeyScope } from '@wa-dispatch/core';
import type { ApiKeyRepository, TenantRepository } from '@wa-dispatch/db';
import { oneOf, parseCommandArgs, UsageError } from '../args.js';
import { toJson, type CliIo } from '../cli-io.js';
import { auditQuietly, CLI_ACTOR } from './audit-note.js';

export interface KeysDeps {
  apiKeys: Pick<ApiKeyRepository, 'create' | 'findById' | 'revoke'>;
  tenants: Pick<TenantRepository, 'exists'>;
  audit?: AuditLog;
}

export const KEYS_USAGE = `Usage: wa-dispatch keys <command>

Commands:
  create --scope admin|service|tenant [--chat-id <id>] [--label <text>] [--json]
                                    mint an API key; it is printed once, only its sha256 is stored
  revoke <id> [--json]              revoke a key; it fails on its very next request

Run "wa-dispatch keys <command> --help" for details.`;

const CREATE_USAGE = `Usage: wa-dispatch keys create --scope admin|service|tenant [--chat-id <id>] [--label <text>] [--json]

Scopes: admin (tenants, keys, global pause), service (send for any active
tenant), tenant (exactly one chat_id: --chat-id is required, and only then).
The key (wad_<a|s|t>_<43 chars>) is printed once on stdout; the database keeps
its sha256 and a display prefix. The tenant must exist.
Errors: TENANT.NOT_FOUND, CHAT_ID.INVALID.`;

const REVOKE_USAGE = `Usage: wa-dispatch keys revoke <id> [--json]

Revokes the key with this id (a UUID, as printed by "keys create"). Revoking
twice keeps the first revocation time. Errors: API_KEY.NOT_FOUND.`;

const SCOPES = ['admin', 'service', 'tenant'] as const satisfies readonly KeyScope[];
const KeyId = z.uuid();

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  scope: KeyScope;
  chatId: string | null;
}

/** Mints a key: the plain key is returned here and nowhere else; the row holds its hash. */
export async function createKey(
  deps: KeysDeps,
  input: { scope: KeyScope; chatId?: bigint | undefined; label?: string | undefined },
  io?: CliIo,
): Promise<CreatedKey> {
  const chatId = input.scope === 'tenant' ? input.chatId : undefined;
  if (input.scope === 'tenant' && chatId === undefined) {
    throw new AppError('VALIDATION.INVALID_PARAM', 'tenant keys need the tenant: --chat-id <id>');
  }
  if (input.scope !== 'tenant' && input.chatId !== undefined) {
    throw new AppError('VALIDATION.INVALID_PARAM', 'only tenant keys belong to a chat_id; drop --chat-id');
  }
  if (chatId !== undefined && !(await deps.tenants.exists(chatId))) {
    throw new AppError('TENANT.NOT_FOUND', 'no such tenant');
  }
  const made = generateApiKey(input.scope);
  const row = await deps.apiKeys.create({
    hash: made.hash,
    prefix: made.prefix,
    scope: input.scope,
    chatId: chatId ?? null,
    label: input.label ?? null,
  });
  if (io) {
    await auditQuietly(deps.audit, io, {
      chatId: chatId ?? null,
      actor: CLI_ACTOR,
      action: 'api_key.create',
      detail: { keyId: row.id, scope: row.scope, prefix: row.prefix },
    });
  }
  return { id: row.id, key: made.key, prefix: row.prefix, scope: input.scope, chatId: chatId === undefined ? null : formatChatId(chatId) };
}

export async function revokeKey(deps: KeysDeps, id: string, io?: CliIo): Promise<void> {
  if (!KeyId.safeParse(id).success) throw new AppError('VALIDATION.INVALID_PARAM', 'key id must be a UUID');
  const row = await deps.apiKeys.findById(id);
  if (!row || !(await deps.apiKeys.revoke(id))) throw new AppError('API_KEY.NOT_FOUND', 'no such API key');
  if (io) {
    await auditQuietly(deps.audit, io, {
      chatId: row.chatId,
      actor: CLI_ACTOR,
      action: 'api_key.revoke',
      detail: { keyId: id, scope: row.scope, prefix: row.prefix },
    });
  }
}

export async function keysCommand(argv: readonly string[], deps: () => KeysDeps, io: CliIo): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(KEYS_USAGE);
    if (sub === undefined) throw new UsageError('missing command', KEYS_USAGE);
    return;
  }
  if (sub === 'create') {
    const args = parseCommandArgs(
      rest,
      { scope: { type: 'string' }, 'chat-id': { type: 'string' }, label: { type: 'string' }, json: { type: 'boolean' } },
      CREATE_USAGE,
      { min: 0 },
    );
    if (args.help) return void io.out(CREATE_USAGE);
    const scope = oneOf(args.values.scope, SCOPES, 'scope', CREATE_USAGE);
    if (scope === undefined) throw new UsageError('--scope is required', CREATE_USAGE);
    const rawChatId = args.values['chat-id'];
    if (scope === 'tenant' && rawChatId === undefined) throw new UsageError('--scope tenant needs --chat-id <id>', CREATE_USAGE);
    if (scope !== 'tenant' && rawChatId !== undefined) throw new UsageError('--chat-id is only for --scope tenant', CREATE_USAGE);
    const label = args.values.label?.trim();
    if (label !== undefined && (label === '' || label.length > 200 || label.includes('\u0000'))) {
      throw new AppError('VALIDATION.INVALID_PARAM', 'label must be 1..200 characters without NUL');
    }
    const chatId = rawChatId === undefined ? undefined : parseChatId(rawChatId);
    const created = await createKey(deps(), { scope, chatId, label }, io);
    if (args.values.json) {
      io.out(toJson(created));
    } else {
      io.out(
        [`key     ${created.key}`, `id      ${created.id}`, `prefix  ${created.prefix}`, `scope   ${created.scope}`]
          .concat(created.chatId === null ? [] : [`chatId  ${created.chatId}`])
          .join('\n'),
      );
      io.err('Store the key now: it is not shown again (only its hash is kept).');
    }
    return;
  }
  if (sub === 'revoke') {
    const args = parseCommandArgs(rest, { json: { type: 'boolean' } }, REVOKE_USAGE, { min: 1 });
    if (args.help) return void io.out(REVOKE_USAGE);
    const id = args.positionals[0] ?? '';
    await revokeKey(deps(), id, io);
    io.out(args.values.json ? toJson({ id, revoked: true }) : `revoked ${id}`);
    return;
  }
  throw new UsageError(`unknown command "keys ${sub}"`, KEYS_USAGE);
}
