import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Logs carry ids, codes and masked numbers only. Message text and phone
 * numbers are never passed to a log call; the redaction below is a second
 * line of defence for credentials that might ride along on a request object.
 */
export function createLogger(level: string, name = 'api'): Logger {
  return pino({
    name,
    level,
    base: { pid: process.pid },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'key', 'password'],
      censor: '[redacted]',
    },
  });
}
