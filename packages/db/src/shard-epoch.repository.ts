import type { Db } from './prisma-client.js';

/**
 * Durable floor for lease epochs. Redis issues epochs, but a Redis that lost
 * its data would restart the counter; taking max(redis, floor + 1) and
 * recording it here before the holder acts keeps every epoch above any epoch
 * a previous holder could still be using.
 */
export class ShardEpochRepository {
  constructor(private readonly db: Db) {}

  async floor(shard: number): Promise<bigint> {
    const row = await this.db.shardEpoch.findUnique({ where: { shard }, select: { epoch: true } });
    return row?.epoch ?? 0n;
  }

  /** Raises the mark; returns false if a higher epoch was already recorded. */
  async record(shard: number, epoch: bigint, holder: string): Promise<boolean> {
    const rows = await this.db.$queryRaw<{ shard: number }[]>`
      INSERT INTO shard_epochs (shard, epoch, holder, updated_at) VALUES (${shard}, ${epoch}, ${holder}, now())
      ON CONFLICT (shard) DO UPDATE SET epoch = EXCLUDED.epoch, holder = EXCLUDED.holder, updated_at = now()
        WHERE shard_epochs.epoch < EXCLUDED.epoch
      RETURNING shard`;
    return rows.length === 1;
  }
}
