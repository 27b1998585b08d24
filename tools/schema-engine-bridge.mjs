#!/usr/bin/env node
// Stand-in for Prisma's native `schema-engine` binary.
//
// Why: the Prisma CLI downloads the schema engine from binaries.prisma.sh,
// which is unreachable here (and behind many proxies). This executable is
// pointed to by PRISMA_SCHEMA_ENGINE_BINARY (see tools/prisma-offline.mjs) and
// serves the same protocol with the official WebAssembly build
// (@prisma/schema-engine-wasm), talking to PostgreSQL through
// @prisma/adapter-pg. Nothing is downloaded.
//
// Invocations the CLI makes:
//   schema-engine --version
//   schema-engine --datasource '{"url":…}' cli can-connect-to-database|create-database|drop-database
//   schema-engine [--datamodels <file>]… [--datasource JSON] [--enabled-preview-features a,b]
//       → JSON-RPC 2.0 server, one message per line on stdin/stdout, until stdin closes.
//
// Invariants:
//   - stdout carries ONLY JSON-RPC messages (console.* is redirected);
//   - every log line goes to stderr as one JSON object (native tracing format);
//   - exit code 0 on a clean shutdown, 1 on a reported error, 101 on a wasm panic.
// See docs/migrations.md.
import { log, redirectConsoleToStderr } from './schema-engine-bridge/log.mjs';

redirectConsoleToStderr();
// If the CLI goes away first, writing to its pipes must not crash the cleanup.
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});

function parseArgs(argv) {
  const args = { datamodels: [], datasource: undefined, previewFeatures: [], version: false, cli: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${arg}`);
      return argv[++i];
    };
    switch (arg) {
      case '--version':
      case '-V':
        args.version = true;
        break;
      case '--datamodels':
        args.datamodels.push(value());
        break;
      case '--datasource':
        args.datasource = JSON.parse(value());
        break;
      case '--enabled-preview-features':
        args.previewFeatures = value().split(',').filter(Boolean);
        break;
      case '--extension-types':
        value(); // Postgres extension types: not used by this bridge
        break;
      case 'cli':
        args.cli = argv[i + 1];
        i = argv.length;
        break;
      default:
        log.warn(`ignoring unknown argument: ${arg}`);
    }
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));

  if (args.version) {
    const { loadSchemaEngineWasm } = await import('./schema-engine-bridge/wasm.mjs');
    const { glue } = await loadSchemaEngineWasm();
    process.stdout.write(`schema-engine-cli ${glue.version()} (wasm bridge)\n`);
    return 0;
  }

  if (args.cli) {
    const { runCliCommand } = await import('./schema-engine-bridge/cli-commands.mjs');
    return runCliCommand(args.cli, args.datasource);
  }

  const { RpcServer } = await import('./schema-engine-bridge/rpc.mjs');
  const server = new RpcServer({ datasource: args.datasource, datamodels: args.datamodels });
  // The CLI ends stdin and may send SIGTERM right away: still drop shadow databases.
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () => server.close().finally(() => exit(0)));
  }
  // A wasm panic can surface outside the request's promise chain. Report it the
  // way the native engine does (ERROR log line + exit code 101 = panic).
  process.once('uncaughtException', (err) => {
    const panic = globalThis.PRISMA_WASM_PANIC_REGISTRY?.take?.();
    log.error(panic || err?.stack || String(err), { is_panic: Boolean(panic), backtrace: err?.stack });
    server.close().finally(() => exit(101));
  });
  log.info('Starting schema engine bridge (wasm) RPC server');
  await server.serve();
  return 0;
}

// Exit explicitly (idle pg sockets would keep us alive), once stdout is flushed.
const exit = (code) => process.stdout.write('', () => process.exit(code));

main().then(
  (code) => exit(code),
  (err) => {
    log.error(err?.stack ?? String(err), { is_panic: false });
    exit(1);
  },
);
