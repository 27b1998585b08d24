export { assertTestDatabaseUrl, testDatabaseUrl, DEFAULT_TEST_DATABASE_URL } from './test-database-url.js';
export { createTestDatabase, withSchema, type TestDatabase } from './test-database.js';
export { createTestRedis, DEFAULT_TEST_REDIS_URL, type TestRedis } from './test-redis.js';
export { readMigrations, migrationsDir, repoRoot, type MigrationFile } from './migration-files.js';
export { seedTenants } from './seed-tenants.js';
