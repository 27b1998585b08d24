export { main, MAIN_USAGE, type MainOptions } from './main.js';
export { CliEnv, loadCliEnv } from './env.js';
export { createCliRuntime, type CliRuntime } from './runtime.js';
export { bufferIo, processIo, type CliIo } from './cli-io.js';
export { UsageError } from './args.js';
export { createTenant, tenantsCommand, type CreatedTenant, type TenantsDeps } from './commands/tenants.command.js';
export { createKey, keysCommand, revokeKey, type CreatedKey, type KeysDeps } from './commands/keys.command.js';
export {
  sessionCommand,
  sessionLink,
  sessionLogout,
  startSessionLink,
  SESSION_USAGE,
  type SessionDeps,
  type SessionLinkOptions,
  type SessionLinkResult,
} from './commands/session.command.js';
export { simCommand, simLink, simScan, simSent, type SimDeps, type SimLinkDeps, type SimLinkResult } from './commands/sim.command.js';
