import pg from 'pg';
import { splitSchema } from './prisma-client.js';

/**
 * Plain `pg` pools for the worker's hot path (a few fixed statements per
 * message, where Prisma's per-query overhead dominated the profile).
 *
 * `relaxed` connections run with synchronous_commit=off. They carry only
 * writes whose loss in a crash is already handled: marking a message `sent`
 * after the transport accepted it (a row left in `sending` is recovered by
 * asking the transport, never resent blindly) and receipts. The claim
 * `queued → sending` always goes through `strict`.
 */
export interface SqlPools {
  strict: pg.Pool;
  relaxed: pg.Pool;
  end(): Promise<void>;
}

// BIGINT as bigint: chat ids exceed 2^53
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 20) return (v: string) => BigInt(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export function createSqlPools(options: { url: string; max?: number; relaxedMax?: number }): SqlPools {
  const { connectionString, schema } = splitSchema(options.url);
  const searchPath = schema ? ` -c search_path="${schema}"` : '';
  const make = (extra: string, max: number) =>
    new pg.Pool({ connectionString, max, idleTimeoutMillis: 5_000, options: `${extra}${searchPath}`.trim(), types });
  const strict = make('', options.max ?? 10);
  const relaxed = make('-c synchronous_commit=off', options.relaxedMax ?? Math.max(2, Math.ceil((options.max ?? 10) / 2)));
  for (const pool of [strict, relaxed]) pool.on('error', () => undefined); // idle-client errors: the next query reconnects
  return {
    strict,
    relaxed,
    async end() {
      await Promise.all([strict.end(), relaxed.end()]);
    },
  };
}
