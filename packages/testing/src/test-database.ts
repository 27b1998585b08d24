import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testDatabaseUrl } from './test-database-url.js';
import { readMigrations } from './migration-files.js';

/**
 * Each test file gets its own PostgreSQL schema with every committed
 * migration applied, so files run in parallel without seeing each other's
 * rows. The migrations are applied as SQL here (fast); the real
 * `npm run db:migrate` path is exercised by test/migrations-offline.test.ts.
 */
export interface TestDatabase {
  /** Connection string carrying `?schema=` for the isolated schema. */
  url: string;
  schema: string;
  /** A pool whose connections already use the schema as search_path. */
  pool: pg.Pool;
  drop(): Promise<void>;
}

export function withSchema(baseUrl: string, schema: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set('schema', schema);
  return url.toString();
}

export async function createTestDatabase(label = 't'): Promise<TestDatabase> {
  const baseUrl = testDatabaseUrl();
  const schema = `${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(`SET search_path TO "${schema}"`);
    for (const migration of readMigrations()) {
      await admin.query(migration.sql);
    }
  } catch (err) {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    throw err;
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: baseUrl, options: `-c search_path="${schema}"`, max: 4 });
  return {
    url: withSchema(baseUrl, schema),
    schema,
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
