import type { TimerApi } from './transport-options.js';

/**
 * A session's hold on its {@link ConnectLimiter} slot. Released when the
 * connect settles (open, QR shown, close) or after a timeout, so a socket
 * that hangs never blocks the sessions queued behind it.
 */
export class ConnectSlot {
  private release: (() => void) | undefined;
  private timer: unknown;

  constructor(
    private readonly timers: TimerApi,
    private readonly timeoutMs: number,
  ) {}

  hold(release: () => void): void {
    this.release = release;
    this.timer = this.timers.setTimeout(() => this.free(), this.timeoutMs);
  }

  /** Idempotent: only the first call after hold() releases. */
  free(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const release = this.release;
    this.release = undefined;
    release?.();
  }
}
