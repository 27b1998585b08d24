import { AppError } from '@wa-dispatch/core';

/** The AppError a real WhatsApp failure of `kind` would map to, marked `simulated`. */
export function faultError(kind: string, untilMs: number, retryAfterMs: number): AppError {
  const details = { simulated: true };
  switch (kind) {
    case 'rate_limited': {
      const after = untilMs > 0 ? Math.max(0, untilMs - Date.now()) : retryAfterMs;
      return new AppError('TRANSPORT.RATE_LIMITED', 'rate limited by WhatsApp (simulated)', {
        retryable: true,
        details: { ...details, retryAfterMs: after },
      });
    }
    case 'restricted':
      return new AppError('TRANSPORT.RESTRICTED', 'account restricted from sending (simulated)', {
        retryable: true,
        details: { ...details, untilMs },
      });
    case 'reachout_locked':
      return new AppError('TRANSPORT.REACHOUT_LOCKED', 'cannot message new contacts now (simulated 463)', {
        retryable: false,
        details: untilMs > 0 ? { ...details, waErrorCode: 463, untilMs } : { ...details, waErrorCode: 463 },
      });
    default:
      return new AppError('TRANSPORT.SEND_FAILED', 'send failed (simulated transient error)', {
        retryable: true,
        details,
      });
  }
}
