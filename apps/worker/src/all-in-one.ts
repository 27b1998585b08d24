/**
 * `npm start`: the API and one worker in one process, for a single machine
 * or a first try. Production scales them apart (`start:api`, `start:worker`);
 * nothing here assumes it is the only process.
 */
import { parseConfig } from '@wa-dispatch/core';
import { startApi } from '@wa-dispatch/api';
import { WorkerEnv } from './env.js';
import { startWorker } from './worker-app.js';

const worker = await startWorker(parseConfig(WorkerEnv, process.env));
const api = await startApi(process.env);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await api.close(); // stop taking requests first, then hand shards over
  await worker.stop();
  setTimeout(() => process.exit(0), 100).unref();
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
