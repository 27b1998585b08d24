import { parseConfig } from '@wa-dispatch/core';
import { WorkerEnv } from './env.js';
import { startWorker } from './worker-app.js';

const env = parseConfig(WorkerEnv, process.env);
const worker = await startWorker(env);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  // In-flight jobs finish and leases are released, so another worker takes over at once.
  await worker.stop();
  process.exitCode = 0;
  if (signal === 'SIGINT' || signal === 'SIGTERM') setTimeout(() => process.exit(0), 100).unref();
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
