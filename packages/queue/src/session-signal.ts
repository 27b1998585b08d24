/**
 * A nudge that a session row changed (link started, logout, relink), so the
 * worker holding its shard reacts at once. Pub/sub is lossy by design here:
 * the row in Postgres is the truth and workers also resync on their own, so a
 * lost nudge only delays, never misroutes. Channel: `${prefix}:signal:sessions`.
 */
import type { Redis } from 'ioredis';
import { KeyLayout } from './key-layout.js';

export interface SessionSignalOptions {
  redis: Redis;
  prefix: string;
}

export class SessionSignal {
  private readonly channel: string;

  constructor(private readonly o: SessionSignalOptions) {
    this.channel = new KeyLayout(o.prefix).sessionSignalChannel();
  }

  async publish(sessionId: string): Promise<void> {
    await this.o.redis.publish(this.channel, sessionId);
  }

  /** Subscribes on a dedicated connection; resolves to an unsubscribe function. */
  async subscribe(onChange: (sessionId: string) => void): Promise<() => Promise<void>> {
    const sub = this.o.redis.duplicate({ lazyConnect: true });
    await sub.connect();
    sub.on('message', (channel: string, sessionId: string) => {
      if (channel === this.channel) onChange(sessionId);
    });
    await sub.subscribe(this.channel);
    return async () => {
      await sub.unsubscribe(this.channel).catch(() => undefined);
      sub.disconnect();
    };
  }
}
