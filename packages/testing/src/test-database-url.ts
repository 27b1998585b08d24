/**
 * Tests create and drop schemas freely, so they must never be pointed at a
 * database that holds real data. A URL is accepted only when its database
 * name says it is for tests (`test`, `*_test`, `test_*`) and it is local.
 */
export const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '']);

export function testDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  assertTestDatabaseUrl(url);
  return url;
}

export function assertTestDatabaseUrl(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`DB.TEST_URL_REFUSED: TEST_DATABASE_URL is not a URL`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^(test|test_[a-z0-9_]+|[a-z0-9_]+_test)$/i.test(database)) {
    throw new Error(
      `DB.TEST_URL_REFUSED: database "${database}" is not named for tests (expected "test", "test_*" or "*_test")`,
    );
  }
  if (!LOCAL_HOSTS.has(url.hostname)) {
    throw new Error(`DB.TEST_URL_REFUSED: host "${url.hostname}" is not local`);
  }
}
