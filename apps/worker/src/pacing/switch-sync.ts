import type { PacingRepository } from '@wa-dispatch/db';
import { PacingKeys, type DispatchSwitches, type RedisClient } from '@wa-dispatch/queue';
import type { Logger } from '../logger.js';

export interface SwitchSyncOptions {
  pacing: PacingRepository;
  switches: DispatchSwitches;
  redis: RedisClient;
  prefix: string;
  intervalMs: number;
  logger: Logger;
}

/**
 * Postgres (`dispatch_switches`) is the source of truth for the kill switch;
 * Redis holds the copy every worker reads. Each tick:
 *   - a field Redis lost (flush, failover) is re-asserted with HSETNX, so a
 *     pause written by the API between our read and our write is never undone;
 *   - a field that disagrees with Postgres on two ticks in a row (the API
 *     wrote Postgres and died before Redis) is overwritten from Postgres.
 */
export class SwitchSync {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly key: string;
  private suspect = new Map<string, string>();

  constructor(private readonly o: SwitchSyncOptions) {
    this.key = new PacingKeys(o.prefix).switches();
  }

  start(): void {
    this.stopped = false;
    // at once: until the hash exists, every gate holds its sends
    void this.runOnce().catch((err: unknown) => this.o.logger.warn({ err }, 'switch sync failed'));
    const tick = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        await this.runOnce().catch((err: unknown) => this.o.logger.warn({ err }, 'switch sync failed'));
        tick();
      }, this.o.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One pass; returns the fields written to Redis. */
  async runOnce(): Promise<string[]> {
    const rows = await this.o.pacing.switches();
    const h = await this.o.redis.hgetall(this.key);
    const written: string[] = [];
    for (const field of ['all', 'automatic'] as const) {
      const want = rows[field].paused ? '1' : '0';
      const stamp = `${want}@${rows[field].updatedAt?.getTime() ?? 0}`;
      if (h[field] === undefined) {
        if ((await this.o.redis.hsetnx(this.key, field, want)) === 1) written.push(field);
        this.suspect.delete(field);
      } else if (h[field] !== want) {
        if (this.suspect.get(field) === stamp) {
          await this.o.switches.set(field === 'all' ? { pausedAll: want === '1' } : { pausedAutomatic: want === '1' }, { settle: false });
          written.push(field);
          this.suspect.delete(field);
        } else this.suspect.set(field, stamp);
      } else this.suspect.delete(field);
    }
    if (written.length > 0) this.o.logger.info({ fields: written }, 'dispatch switches re-asserted from Postgres');
    return written;
  }
}
