import { pino, type Logger } from 'pino';

export type { Logger };

/** Logs carry ids and masked numbers only; message text never reaches a log call. */
export function createLogger(level: string, name: string): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
