import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations, repoRoot, testDatabaseUrl } from '@wa-dispatch/testing';

// The Prisma CLI, run through tools/prisma-offline.mjs (wasm schema engine
// bridge, no engine download), against fresh databases on the test server.
// Proves: the committed migrations deploy (idempotently), are recorded, and
// match prisma/schema.prisma exactly.

const CLI_TIMEOUT_MS = 120_000;
const wrapper = join(repoRoot, 'tools/prisma-offline.mjs');
const serverUrl = testDatabaseUrl();
const migrations = readMigrations().map((m) => m.name);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function prisma(args: string[], databaseUrl: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [wrapper, ...args], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        CHECKPOINT_DISABLE: '1',
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Exit code and output together, so a failure shows what the CLI said. */
const outcome = (r: CliResult) => ({ code: r.code, output: `${r.stdout}\n${r.stderr}` });

function urlFor(database: string, schema?: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  url.search = schema ? `?schema=${schema}` : '';
  return url.toString();
}

const admin = new pg.Pool({ connectionString: serverUrl, max: 2 });
const created: string[] = [];
let shadowDbsBefore: string[] = [];

async function shadowDatabases(): Promise<string[]> {
  const { rows } = await admin.query<{ datname: string }>(
    `SELECT datname FROM pg_database WHERE datname LIKE 'prisma\\_shadow\\_%'`,
  );
  return rows.map((r) => r.datname);
}

async function query<T extends pg.QueryResultRow>(database: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: urlFor(database) });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function tablesIn(database: string, schema: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    database,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
    [schema],
  );
  return rows.map((r) => r.table_name).sort();
}

beforeAll(async () => {
  shadowDbsBefore = await shadowDatabases();
});

afterAll(async () => {
  for (const db of created) await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  await admin.end();
});

it('has committed migrations to test', () => {
  expect(migrations.length).toBeGreaterThan(0);
});

describe('migrate deploy on a fresh database (public schema)', () => {
  const database = `test_migrate_offline_${randomBytes(4).toString('hex')}`;
  const url = urlFor(database);

  beforeAll(async () => {
    await admin.query(`CREATE DATABASE "${database}"`);
    created.push(database);
  });

  it('applies every migration', { timeout: CLI_TIMEOUT_MS }, async () => {
    const r = await prisma(['migrate', 'deploy'], url);
    expect(outcome(r)).toMatchObject({ code: 0, output: expect.stringContaining('successfully applied') });
  });

  it('is a no-op the second time', { timeout: CLI_TIMEOUT_MS }, async () => {
    const r = await prisma(['migrate', 'deploy'], url);
    expect(outcome(r)).toMatchObject({ code: 0, output: expect.stringContaining('No pending migrations to apply') });
  });

  it('creates the tables', async () => {
    expect(await tablesIn(database, 'public')).toEqual(
      expect.arrayContaining(['_prisma_migrations', 'tenants', 'whatsapp_sessions', 'messages']),
    );
  });

  it('records every migration folder as finished, once', async () => {
    const rows = await query<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
      database,
      `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
         FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows).toEqual(migrations.map((name) => ({ migration_name: name, finished: true, rolled_back: false })));
  });

  it('migrate status reports the database up to date', { timeout: CLI_TIMEOUT_MS }, async () => {
    const r = await prisma(['migrate', 'status'], url);
    expect(outcome(r)).toMatchObject({ code: 0, output: expect.stringMatching(/up to date/i) });
  });

  it('the committed migrations produce exactly prisma/schema.prisma', { timeout: CLI_TIMEOUT_MS }, async () => {
    const r = await prisma(
      [
        'migrate',
        'diff',
        '--from-migrations',
        'prisma/migrations',
        '--to-schema',
        'prisma/schema.prisma',
        '--exit-code',
      ],
      url,
    );
    expect(outcome(r)).toMatchObject({ code: 0, output: expect.stringContaining('No difference detected') });
  });

  it('the deployed database matches prisma/schema.prisma', { timeout: CLI_TIMEOUT_MS }, async () => {
    // Hand-written CHECKs and partial unique indexes are invisible to Prisma
    // (no `partialIndexes` preview feature), so they must not show up as drift.
    const r = await prisma(
      ['migrate', 'diff', '--from-config-datasource', '--to-schema', 'prisma/schema.prisma', '--exit-code'],
      url,
    );
    expect(outcome(r)).toMatchObject({ code: 0, output: expect.stringContaining('No difference detected') });
  });
});

describe('migrate deploy with ?schema=custom into a database the CLI creates', () => {
  const database = `test_migrate_offline_${randomBytes(4).toString('hex')}`;
  const url = urlFor(database, 'custom');
  created.push(database);

  it('creates the database and deploys into the custom schema', { timeout: CLI_TIMEOUT_MS }, async () => {
    const r = await prisma(['migrate', 'deploy'], url);
    expect(outcome(r)).toMatchObject({ code: 0, output: expect.stringContaining('successfully applied') });

    const custom = await tablesIn(database, 'custom');
    expect(custom).toEqual(expect.arrayContaining(['_prisma_migrations', 'tenants', 'whatsapp_sessions', 'messages']));
    expect(await tablesIn(database, 'public')).toEqual([]);

    const [row] = await query<{ n: number }>(
      database,
      `SELECT count(*)::int AS n FROM custom._prisma_migrations WHERE finished_at IS NOT NULL`,
    );
    expect(row?.n).toBe(migrations.length);
  });

  it('then reports it up to date and in sync with the schema', { timeout: CLI_TIMEOUT_MS }, async () => {
    expect(outcome(await prisma(['migrate', 'deploy'], url))).toMatchObject({
      code: 0,
      output: expect.stringContaining('No pending migrations to apply'),
    });
    expect(outcome(await prisma(['migrate', 'status'], url))).toMatchObject({
      code: 0,
      output: expect.stringMatching(/up to date/i),
    });
    expect(
      outcome(
        await prisma(
          ['migrate', 'diff', '--from-config-datasource', '--to-schema', 'prisma/schema.prisma', '--exit-code'],
          url,
        ),
      ),
    ).toMatchObject({ code: 0, output: expect.stringContaining('No difference detected') });
  });
});

describe('the bridge', () => {
  it('leaves no shadow database behind', async () => {
    const leftovers = (await shadowDatabases()).filter((d) => !shadowDbsBefore.includes(d));
    expect(leftovers).toEqual([]);
  });
});
