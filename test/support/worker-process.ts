import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@wa-dispatch/testing';

/**
 * Runs `apps/worker` as a real child process (tsx, source condition), so the
 * cross-process tests exercise leases, stalls and SIGKILL as production would.
 */
export interface WorkerProcess {
  readonly id: string;
  readonly proc: ChildProcess;
  /** Lines of JSON log output seen so far. */
  readonly logs: Record<string, unknown>[];
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no cleanup, leases left to expire. */
  kill(): Promise<void>;
}

export async function spawnWorker(id: string, env: Record<string, string>): Promise<WorkerProcess> {
  // node itself (tsx as a loader), not the tsx CLI: the CLI forks a child, and
  // a SIGKILL aimed at it would leave the real worker running as an orphan.
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', join(repoRoot, 'apps/worker/src/main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', WORKER_ID: id, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
      for (const w of waiters) w();
    }
  });
  proc.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 20_000) stderr = stderr.slice(-10_000);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

  const waitForLog: WorkerProcess['waitForLog'] = (pred, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = logs.find(pred);
        if (hit) {
          cleanup();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`worker ${id}: log line not seen in ${timeoutMs} ms\nstderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      const onExit = () => {
        cleanup();
        reject(new Error(`worker ${id} exited before the log line\nstderr: ${stderr.slice(-2000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
        proc.off('exit', onExit);
      };
      waiters.add(check);
      proc.once('exit', onExit);
      check();
    });

  const worker: WorkerProcess = {
    id,
    proc,
    logs,
    waitForLog,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitForLog((l) => l.msg === 'worker started', 60_000);
  } catch (err) {
    // a worker that never came up must not outlive the test that gave up on it
    await worker.kill();
    throw err;
  }
  return worker;
}
