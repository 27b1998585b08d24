import type { Clock } from '@wa-dispatch/core';

export interface BackoffOptions {
  /** First delay (default 1 s). */
  initialMs?: number;
  /** Cap (default 60 s). */
  maxMs?: number;
  /** Growth per consecutive failure (default 2). */
  factor?: number;
}

export interface QuarantineOptions {
  /** More failures than this within `windowMs`, with no successful open, quarantine the session (default 10). */
  maxFailures?: number;
  /** default 10 min */
  windowMs?: number;
}

/**
 * Exponential backoff with "equal jitter": attempt n waits
 * `d/2 + random * d/2` with `d = min(max, initial * factor^(n-1))`, so
 * sessions that dropped together spread out but none waits less than half
 * its step. Failures are counted in a sliding window; an open resets both.
 */
export class ReconnectPolicy {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private failures: number[] = [];
  private consecutive = 0;

  constructor(
    backoff: BackoffOptions,
    quarantine: QuarantineOptions,
    private readonly clock: Clock,
    private readonly random: () => number,
  ) {
    this.initialMs = backoff.initialMs ?? 1_000;
    this.maxMs = backoff.maxMs ?? 60_000;
    this.factor = backoff.factor ?? 2;
    this.maxFailures = quarantine.maxFailures ?? 10;
    this.windowMs = quarantine.windowMs ?? 10 * 60_000;
  }

  /** Records a failed connection; true when the session should be quarantined. */
  fail(): boolean {
    const now = this.clock.now();
    this.consecutive += 1;
    this.failures = this.failures.filter((t) => now - t < this.windowMs);
    this.failures.push(now);
    return this.failures.length > this.maxFailures;
  }

  /** Delay before the next attempt, after {@link fail}. */
  nextDelayMs(): number {
    const step = Math.min(this.maxMs, this.initialMs * this.factor ** Math.max(0, this.consecutive - 1));
    const r = Math.min(1, Math.max(0, this.random()));
    return Math.round(step / 2 + (r * step) / 2);
  }

  failuresInWindow(): number {
    return this.failures.length;
  }

  succeeded(): void {
    this.failures = [];
    this.consecutive = 0;
  }
}
