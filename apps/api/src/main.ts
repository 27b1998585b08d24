import { startApi } from './start-api.js';

// Process entry for `npm run start:api`. A bad environment throws
// CONFIG.INVALID naming the variables, before anything is opened.
const api = await startApi(process.env);

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  // hard stop if draining hangs (e.g. a client holding a connection open)
  setTimeout(() => process.exit(1), 10_000).unref();
  api.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`api shutdown after ${signal} failed`, err);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
