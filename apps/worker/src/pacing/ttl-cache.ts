/**
 * A tiny per-key cache with a time-to-live, stamped with the time the read
 * STARTED (so a value is never believed longer than `ttlMs` after it was
 * read), and one read in flight per key. Failed reads are not cached.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; readAt: number }>();
  private readonly inflight = new Map<K, Promise<V>>();

  constructor(
    private readonly ttlMs: number,
    private readonly load: (key: K) => Promise<V>,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  async get(key: K): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.readAt < this.ttlMs) return hit.value;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const startedAt = this.now();
    const p = this.load(key)
      .then((value) => {
        if (this.entries.size >= this.maxEntries) this.entries.clear();
        this.entries.set(key, { value, readAt: startedAt });
        return value;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}
