#!/usr/bin/env node
// Launcher for the `wa-dispatch` bin: runs the TypeScript sources through tsx
// with the "source" export condition (workspace packages resolve to src/), so
// the CLI needs no build step. Exit code and signals pass through unchanged.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
// resolved from here, not from the caller's cwd, so the bin works from any directory
const tsx = import.meta.resolve('tsx');

const child = spawn(
  process.execPath,
  ['--import', tsx, '--conditions=source', entry, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}

child.on('error', (err) => {
  process.stderr.write(`error INTERNAL: cannot start the CLI (${err.message})\n`);
  process.exit(1);
});

child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code ?? 1);
  }
});
