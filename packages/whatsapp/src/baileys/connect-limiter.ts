/**
 * Bounds how many sessions of one transport are connecting at once (a worker
 * taking over a shard with hundreds of sessions must not open hundreds of
 * WebSockets and Noise handshakes in the same second). A slot is held from
 * socket creation until the connection settles (open, QR shown, closed) or a
 * hold timeout passes.
 */
export class ConnectLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  }

  /** Resolves with an idempotent release function once a slot is free. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.active += 1;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active -= 1;
          this.waiting.shift()?.();
        });
      };
      if (this.active < this.max) grant();
      else this.waiting.push(grant);
    });
  }

  /** For tests and metrics. */
  stats(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}
