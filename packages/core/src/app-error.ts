import type { ErrorCode } from './error-codes.js';

export interface AppErrorOptions {
  retryable?: boolean;
  cause?: unknown;
  details?: Record<string, unknown>;
}

// `instanceof` breaks when two copies of this package are loaded (e.g. `src`
// via the "source" condition next to `dist`), so identity also uses a
// registry-wide symbol brand.
const BRAND = Symbol.for('wa-dispatch.AppError');

/**
 * The only error type the domain throws on purpose. `code` is the stable,
 * machine-readable contract; `message` is for humans and logs and must never
 * carry secrets or full phone numbers.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, opts: AppErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = Object.freeze({ ...opts.details });
    Object.defineProperty(this, BRAND, { value: true });
  }

  static is(e: unknown): e is AppError {
    return e instanceof AppError || (typeof e === 'object' && e !== null && BRAND in e);
  }
}

/**
 * Anything that is not already an AppError is a bug or an unexpected
 * failure, hence INTERNAL and not retryable. The original is kept as `cause`
 * for logs; callers exposing errors to clients must not echo INTERNAL messages.
 */
export function toAppError(e: unknown): AppError {
  if (AppError.is(e)) return e;
  const message = e instanceof Error && e.message !== '' ? e.message : 'Internal error';
  return new AppError('INTERNAL', message, { cause: e });
}
