import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@wa-dispatch/testing';
import { bufferIo } from '../cli-io.js';
import { loadCliEnv } from '../env.js';
import { main } from '../main.js';
import { createCliRuntime, type CliRuntime } from '../runtime.js';

export interface CliHarness {
  readonly db: TestDatabase;
  readonly redis: TestRedis;
  readonly runtime: CliRuntime;
  /** Runs one command like the bin does, against the test schema and prefix. */
  cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** A CLI runtime on this test file's own schema and Redis prefix, torn down after the file. */
export function useCliHarness(label: string, shardCount: number): CliHarness {
  const h = {} as { db: TestDatabase; redis: TestRedis; runtime: CliRuntime };
  beforeAll(async () => {
    h.db = await createTestDatabase(label);
    h.redis = await createTestRedis(label);
    h.runtime = createCliRuntime(
      loadCliEnv({
        DATABASE_URL: h.db.url,
        REDIS_URL: h.redis.url,
        REDIS_PREFIX: h.redis.prefix,
        SIMULATOR_PREFIX: `${h.redis.prefix}-sim`,
        SHARD_COUNT: String(shardCount),
      }),
    );
  });
  afterAll(async () => {
    await h.runtime?.control.reset();
    await h.runtime?.close();
    await h.redis?.close();
    await h.db?.drop();
  });
  return {
    get db() {
      return h.db;
    },
    get redis() {
      return h.redis;
    },
    get runtime() {
      return h.runtime;
    },
    async cli(...argv: string[]) {
      const io = bufferIo();
      const code = await main(argv, { io, runtime: h.runtime });
      return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
    },
  };
}
