// PostgreSQL plumbing for the bridge: URL handling, a pg.Client that adapter-pg
// can always decode, and the migration-aware adapter factory (main + shadow DB)
// handed to the wasm schema engine.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, DriverAdapterError } from '@prisma/driver-adapter-utils';
import { log } from './log.mjs';

const DEFAULT_SCHEMA = 'public';

/** Query parameters understood by Prisma's native engines but not by node-postgres. */
const PRISMA_ONLY_PARAMS = [
  'schema',
  'connection_limit',
  'pool_timeout',
  'pgbouncer',
  'statement_cache_size',
  'socket_timeout',
  'sslaccept',
  'sslidentity',
  'sslpassword',
  'max_connection_lifetime',
  'max_idle_connection_lifetime',
];

/** Postgres' internal single-byte `"char"` (pg_constraint.contype, confdeltype, …). */
const CHAR_OID = 18;
/** ColumnTypeEnum.Character of @prisma/driver-adapter-utils: what the engine reads `"char"` as. */
const CHARACTER_COLUMN = 6;
/** Marks, on a result's `rows` array, the indexes of `"char"` columns. */
const CHAR_COLUMNS = Symbol('charColumns');

/**
 * Other built-in types adapter-pg refuses ("Unsupported column type"); their
 * text form is fine for the engine, so they are reported as `text` (OID 25).
 */
const REPORT_AS_TEXT = new Set([
  22, // int2vector
  24, // regproc
  30, // oidvector
  194, // pg_node_tree
  2205, // regclass
  2206, // regtype
  3734, // regconfig
  4089, // regnamespace
]);
const TEXT_OID = 25;

/** Double-quote an SQL identifier. */
export const quoteIdent = (name) => `"${String(name).replaceAll('"', '""')}"`;

/**
 * Parse a Prisma-style PostgreSQL URL.
 * @returns {{ url: string, connectionString: string, database: string, schema: string, startupOptions: string }}
 *   `connectionString` is safe for node-postgres: Prisma-only params and
 *   `options` (merged into `startupOptions`, see createPool) are removed.
 */
export function parsePostgresUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw userError('P1013', 'The provided database string is invalid. The URL could not be parsed.');
  }
  if (!['postgres:', 'postgresql:'].includes(parsed.protocol)) {
    throw userError(
      'P1013',
      `The provided database string is invalid. This bridge only supports postgresql:// URLs (got "${parsed.protocol}").`,
    );
  }
  const schema = parsed.searchParams.get('schema') || DEFAULT_SCHEMA;
  // node-postgres lets the connection string win over explicit config, so a
  // URL `options` param would silently drop our search_path: take it out here.
  const startupOptions = parsed.searchParams.get('options') ?? '';
  for (const p of [...PRISMA_ONLY_PARAMS, 'options']) parsed.searchParams.delete(p);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || parsed.username || 'postgres';
  return { url, connectionString: parsed.toString(), database, schema, startupOptions };
}

/** Same server (host, port) and same database name? */
function sameDatabase(a, b) {
  const [x, y] = [new URL(a.connectionString), new URL(b.connectionString)];
  return x.hostname === y.hostname && (x.port || '5432') === (y.port || '5432') && a.database === b.database;
}

/** Same server and parameters, another database. */
export function withDatabase(connectionString, database) {
  const u = new URL(connectionString);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** `-c search_path=…` startup option (spaces/backslashes escaped as libpq requires). */
function searchPathOption(schema) {
  const value = quoteIdent(schema).replaceAll('\\', '\\\\').replaceAll(' ', '\\ ');
  return `-c search_path=${value}`;
}

/**
 * adapter-pg cannot map `"char"` at all. Report it as text so its queryRaw
 * succeeds, and tag the rows array (which adapter-pg returns as is) with the
 * column indexes so `fixCharColumns` can restore the proper column type.
 */
function patchFields(result) {
  if (Array.isArray(result)) return result.map(patchFields);
  const charColumns = [];
  for (const [i, field] of (result?.fields ?? []).entries()) {
    if (field.dataTypeID === CHAR_OID) charColumns.push(i);
    if (field.dataTypeID === CHAR_OID || REPORT_AS_TEXT.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
  }
  if (charColumns.length && Array.isArray(result.rows)) {
    Object.defineProperty(result.rows, CHAR_COLUMNS, { value: charColumns });
  }
  return result;
}

function fixCharColumns(resultSet) {
  for (const i of resultSet.rows?.[CHAR_COLUMNS] ?? []) resultSet.columnTypes[i] = CHARACTER_COLUMN;
  return resultSet;
}

/** Proxy a queryable (adapter or transaction) so `queryRaw` reports `"char"` columns as Character. */
function withCharColumns(queryable, overrides = {}) {
  return new Proxy(queryable, {
    get(target, prop, receiver) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop];
      if (prop === 'queryRaw') return async (query) => fixCharColumns(await target.queryRaw(query));
      if (prop === 'startTransaction') {
        return async (...args) => withCharColumns(await target.startTransaction(...args));
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** pg.Client whose result metadata never contains a type adapter-pg cannot map. */
class BridgeClient extends pg.Client {
  query(config, values, callback) {
    if (typeof values === 'function') {
      callback = values;
      values = undefined;
    }
    if (config && typeof config.submit === 'function') return super.query(config, values, callback);
    if (callback) return super.query(config, values, (err, res) => callback(err, err ? res : patchFields(res)));
    return super.query(config, values).then(patchFields);
  }
}

/** A pool on `connectionString` whose sessions use `schema` as search_path. */
export function createPool({ connectionString, schema, startupOptions = '' }) {
  const pool = new pg.Pool({
    connectionString,
    options: [startupOptions, searchPathOption(schema)].filter(Boolean).join(' '),
    Client: BridgeClient,
    max: 4,
  });
  pool.on('error', (err) => log.warn(`idle PostgreSQL connection error: ${err.message}`));
  return pool;
}

/** Run `fn(client)` on a single short-lived connection. */
export async function withClient(connectionString, fn) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Run `fn` on a connection suitable for CREATE/DROP DATABASE: the `postgres`
 * maintenance database, else the URL's own database, else `template1`
 * (whichever exists and may be connected to first).
 */
export async function withMaintenanceClient(connectionString, fn) {
  const own = decodeURIComponent(new URL(connectionString).pathname.slice(1));
  const candidates = [...new Set(['postgres', own, 'template1'].filter(Boolean))];
  for (const [i, database] of candidates.entries()) {
    let client;
    try {
      client = new pg.Client({ connectionString: withDatabase(connectionString, database) });
      await client.connect();
    } catch (err) {
      await client?.end().catch(() => {});
      // 3D000: no such database; 28000: not allowed to connect to it.
      if (i < candidates.length - 1 && ['3D000', '28000'].includes(err?.code)) continue;
      throw err;
    }
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

export async function createDatabase(connectionString, database) {
  await withMaintenanceClient(connectionString, (c) => c.query(`CREATE DATABASE ${quoteIdent(database)}`));
}

export async function dropDatabase(connectionString, database) {
  await withMaintenanceClient(connectionString, async (c) => {
    try {
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    } catch (err) {
      // `WITH (FORCE)` needs PostgreSQL 13+.
      if (err?.code !== '42601') throw err;
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
    }
  });
}

/**
 * Wrap an adapter-pg connection so that `executeScript` sends the whole script
 * in one simple-protocol query (like the native engine) instead of adapter-pg's
 * naive split on ";" which breaks `DO $$ … $$` blocks, functions and string
 * literals containing semicolons. `onDispose` runs after the adapter's own
 * dispose.
 */
function wrapAdapter(adapter, pool, onDispose) {
  return withCharColumns(adapter, {
    async executeScript(script) {
      try {
        await pool.query(script);
      } catch (err) {
        // Report server errors verbatim (SQLSTATE + message), as the native
        // engine does for a failed migration.
        if (typeof err?.code === 'string' && typeof err?.severity === 'string') {
          throw new DriverAdapterError({
            kind: 'postgres',
            code: err.code,
            severity: err.severity,
            message: err.message,
            detail: err.detail,
            column: err.column,
            hint: err.hint,
          });
        }
        adapter.onError(err); // network etc.: adapter-pg's own mapping (throws)
      }
    },
    async dispose() {
      try {
        await adapter.dispose();
      } finally {
        await onDispose?.();
      }
    },
  });
}

/**
 * The SqlMigrationAwareDriverAdapterFactory given to the wasm engine.
 *
 * - main connection: `datasource.url`, `?schema=` → search_path + engine schema;
 * - shadow connection: `datasource.shadowDatabaseUrl` if configured (its schema
 *   is wiped first, as the native engine does), otherwise a temporary
 *   `prisma_shadow_<random>` database on the main server, dropped on dispose.
 */
export function createAdapterFactory(datasource) {
  const main = parsePostgresUrl(datasource.url);
  const shadowUrl = datasource.shadowDatabaseUrl ? parsePostgresUrl(datasource.shadowDatabaseUrl) : null;
  const liveShadowDbs = new Set(); // created (or being created) and not dropped yet
  const pendingCreates = new Set();
  const livePools = new Set();
  let closed = false;

  const connectTo = async (target, onDispose) => {
    const pool = createPool(target);
    livePools.add(pool);
    const adapter = await new PrismaPg(pool, { schema: target.schema }).connect();
    return wrapAdapter(adapter, pool, async () => {
      livePools.delete(pool);
      await pool.end().catch(() => {});
      await onDispose?.();
    });
  };

  const factory = {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connectTo(main),

    async connectToShadowDb() {
      if (shadowUrl) {
        if (sameDatabase(shadowUrl, main)) {
          throw userError(
            'P3014',
            'The shadow database you configured appears to be the same as the main database. Please specify another shadow database.',
          );
        }
        await withClient(shadowUrl.connectionString, async (c) => {
          await c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(shadowUrl.schema)} CASCADE`);
          await c.query(`CREATE SCHEMA ${quoteIdent(shadowUrl.schema)}`);
        });
        return connectTo(shadowUrl);
      }
      if (closed) throw new Error('the schema engine bridge is shutting down');
      const name = `prisma_shadow_${randomBytes(6).toString('hex')}`;
      liveShadowDbs.add(name); // before CREATE, so an interrupt mid-way still drops it
      const creating = createDatabase(main.connectionString, name);
      pendingCreates.add(creating);
      try {
        await creating;
      } finally {
        pendingCreates.delete(creating);
      }
      log.info(`created shadow database "${name}"`);
      const target = { ...main, connectionString: withDatabase(main.connectionString, name), database: name };
      return connectTo(target, async () => {
        await dropDatabase(main.connectionString, name);
        liveShadowDbs.delete(name);
        log.info(`dropped shadow database "${name}"`);
      });
    },
  };

  return {
    main,
    adapterFactory: bindMigrationAwareSqlAdapterFactory(factory),
    /** Close pools and drop shadow databases whose adapter was never disposed. */
    async cleanup() {
      closed = true;
      await Promise.allSettled([...pendingCreates]);
      for (const pool of livePools) await pool.end().catch(() => {});
      livePools.clear();
      for (const name of liveShadowDbs) {
        await dropDatabase(main.connectionString, name).catch((e) =>
          log.warn(`could not drop shadow database "${name}": ${e.message}`),
        );
        liveShadowDbs.delete(name);
      }
    },
  };
}

/** A user-facing engine error (same shape the native engine reports). */
export function userError(code, message, meta = {}) {
  return Object.assign(new Error(message), { errorCode: code, meta });
}
