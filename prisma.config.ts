// Prisma 7 configuration (replaces the `url` that used to live in schema.prisma).
//
// The datasource URL comes from DATABASE_URL. `prisma generate` never connects,
// so when DATABASE_URL is unset we fall back to a local default instead of
// failing: `npm install` (postinstall → db:generate) must work without a DB.
//
// The schema engine is NOT downloaded: run the CLI through
// `node tools/prisma-offline.mjs …` (the npm `db:*` scripts do), which points
// PRISMA_SCHEMA_ENGINE_BINARY at tools/schema-engine-bridge.mjs. See
// docs/migrations.md.
import { defineConfig } from 'prisma/config';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/wa_dispatch';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: {
    path: 'prisma/migrations',
  },
  datasource: {
    url: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
    // Optional: a dedicated, disposable shadow database for `migrate dev` /
    // `migrate diff --from-migrations`. When unset, the bridge creates a
    // temporary `prisma_shadow_<random>` database on the same server.
    ...(process.env.SHADOW_DATABASE_URL ? { shadowDatabaseUrl: process.env.SHADOW_DATABASE_URL } : {}),
  },
});
