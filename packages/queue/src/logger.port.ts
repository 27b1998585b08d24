/** The slice of a pino-style logger this package uses (pino satisfies it). */
export interface QueueLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

export const silentLogger: QueueLogger = { info() {}, warn() {}, error() {} };
