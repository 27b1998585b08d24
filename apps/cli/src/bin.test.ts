import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@wa-dispatch/testing';

// The real bin, as `npm install` links it: launcher -> tsx -> src/main.ts.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const bin = fileURLToPath(new URL('../../../node_modules/.bin/wa-dispatch', import.meta.url));

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('cli_bin');
});

afterAll(async () => {
  await db?.drop();
});

async function run(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('wa-dispatch bin', () => {
  it('is linked into node_modules/.bin', () => {
    expect(existsSync(bin)).toBe(true);
  });

  it('--help exits 0; an unknown command exits 2', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: wa-dispatch /);
    const bad = await run(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error USAGE: unknown command "frobnicate"/);
  });

  it('tenants create against the test schema: 0, then 1 for the duplicate', async () => {
    const env = { DATABASE_URL: db.url, SHARD_COUNT: '4' };
    const first = await run(['tenants', 'create', '-100777', '--name', 'spawned', '--json'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ chatId: '-100777', sessionId: 'user_-100777' });
    const { rows } = await db.pool.query(`SELECT session_id FROM whatsapp_sessions WHERE chat_id_usuario = -100777`);
    expect(rows).toEqual([{ session_id: 'user_-100777' }]);

    const again = await run(['tenants', 'create', '-100777', '--name', 'spawned'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error TENANT\.ALREADY_EXISTS: /);
  });

  it('bad configuration exits 1 naming the variable', async () => {
    const r = await run(['tenants', 'create', '1', '--name', 'x'], { SHARD_COUNT: 'many' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error CONFIG\.INVALID: [\s\S]*SHARD_COUNT/);
  });
});
