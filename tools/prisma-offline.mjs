#!/usr/bin/env node
// Runs the local Prisma CLI with the wasm schema-engine bridge instead of the
// native engine it would download (binaries.prisma.sh is unreachable here).
//
//   node tools/prisma-offline.mjs <prisma args…>   e.g.  migrate deploy
//
// stdio and the exit code are passed through unchanged. See docs/migrations.md.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(here);
const require = createRequire(join(repoRoot, 'package.json'));

const prismaCli = join(dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
const bridge = join(here, 'schema-engine-bridge.mjs');

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: bridge,
  // No checksum files exist for a local engine; never try to fetch them.
  PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
  // No telemetry / update check (no internet).
  CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? '1',
  PRISMA_HIDE_UPDATE_MESSAGE: process.env.PRISMA_HIDE_UPDATE_MESSAGE ?? '1',
};

const child = spawn(process.execPath, [prismaCli, ...process.argv.slice(2)], { stdio: 'inherit', env });

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('error', (err) => {
  console.error(`prisma-offline: cannot start the Prisma CLI: ${err.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
