import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppError } from '@wa-dispatch/core';
import { UsageError } from './args.js';
import { processIo, type CliIo } from './cli-io.js';
import { keysCommand } from './commands/keys.command.js';
import { sessionCommand } from './commands/session.command.js';
import { simCommand } from './commands/sim.command.js';
import { tenantsCommand } from './commands/tenants.command.js';
import { loadCliEnv } from './env.js';
import { createCliRuntime, type CliRuntime } from './runtime.js';

export const MAIN_USAGE = `Usage: wa-dispatch <group> <command> [options]

Operator CLI for wa-dispatch.

Groups:
  tenants create <chatId> --name <name>             create a tenant and its own session
  keys create --scope admin|service|tenant [...]    mint an API key (shown once)
  keys revoke <id>                                  revoke an API key
  session link|status|logout <chatId>               link the tenant's own number (terminal QR), status, logout
  sim link|scan|sent|inbound|fail|disconnect|logout drive the WhatsApp simulator (dev/test tool)

Every command takes --help; most take --json.

Environment:
  DATABASE_URL          default postgresql://postgres@127.0.0.1:5432/wa_dispatch
  REDIS_URL             default redis://127.0.0.1:6379
  REDIS_PREFIX          default wad
  SIMULATOR_REDIS_URL   default REDIS_URL
  SIMULATOR_PREFIX      default wad-sim
  SHARD_COUNT           default 16 (must match the API and workers)

Exit codes: 0 ok, 1 the command failed ("error CODE: message" on stderr), 2 usage error.`;

export interface MainOptions {
  io?: CliIo;
  env?: Record<string, string | undefined>;
  /** Use these deps instead of building them from the environment (tests); not closed by main. */
  runtime?: CliRuntime;
}

/**
 * Runs one command and returns the exit code; never throws, never calls
 * process.exit. Connections are made only if the command needs them and are
 * closed before it returns.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const io = options.io ?? processIo;
  let built: CliRuntime | undefined;
  const runtime = (): CliRuntime => {
    if (options.runtime) return options.runtime;
    built ??= createCliRuntime(loadCliEnv(options.env ?? process.env));
    return built;
  };
  const [group, ...rest] = argv;
  try {
    switch (group) {
      case undefined:
        throw new UsageError('missing command', MAIN_USAGE);
      case '--help':
      case '-h':
      case 'help':
        io.out(MAIN_USAGE);
        return 0;
      case 'tenants':
        await tenantsCommand(rest, runtime, io);
        return 0;
      case 'keys':
        await keysCommand(rest, runtime, io);
        return 0;
      case 'sim':
        await simCommand(rest, runtime, io);
        return 0;
      case 'session':
        await sessionCommand(rest, runtime, io);
        return 0;
      default:
        throw new UsageError(`unknown command "${group}"`, MAIN_USAGE);
    }
  } catch (err) {
    return reportError(err, io, built?.lastConnectionError());
  } finally {
    if (built) await built.close().catch(() => undefined);
  }
}

function reportError(err: unknown, io: CliIo, redisError: Error | undefined): number {
  if (err instanceof UsageError) {
    io.err(`error USAGE: ${err.message}`);
    if (err.usage) io.err(err.usage);
    return 2;
  }
  if (AppError.is(err)) {
    io.err(`error ${err.code}: ${err.message}`);
    return 1;
  }
  // connection refused, a database that was never migrated, ...: an
  // environment problem or a bug, reported in one line without a stack
  io.err(`error INTERNAL: ${describe(err, redisError)}`);
  return 1;
}

function describe(err: unknown, redisError: Error | undefined): string {
  if (!(err instanceof Error)) return String(err);
  // Prisma puts a code frame first and the cause on the last line
  const lines = err.message.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let message = lines[lines.length - 1] ?? err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^P[0-9]{4}$/.test(code)) message += ` (${code})`;
  if (redisError && /connection is closed|max retries|reached the max/i.test(message)) {
    message = `Redis unreachable (${redisError.message})`;
  }
  return message;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main(process.argv.slice(2));
}
