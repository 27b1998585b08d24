// JSON-RPC 2.0 over stdin/stdout (one JSON message per line), served by the
// wasm schema engine. Requests are handled one at a time, in arrival order.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadSchemaEngineWasm } from './wasm.mjs';
import { createAdapterFactory, createDatabase, parsePostgresUrl, withDatabase } from './pg.mjs';
import { toConnectionError } from './cli-commands.mjs';
import { log } from './log.mjs';

/** Generic "user-facing error" code of the native engine's JSON-RPC server. */
const RPC_ENGINE_ERROR = 4466;
const RPC_METHOD_NOT_FOUND = -32601;

/** Diff targets that do not read the configured (main) database. */
const OFFLINE_DIFF_TAGS = new Set(['empty', 'schemaDatamodel', 'migrations']);

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/**
 * Convert whatever the wasm engine / our code threw into a JSON-RPC error object.
 * `lookupJsError(id)` returns the JS error behind an "External error id#N".
 */
function toRpcError(err, panics, lookupJsError) {
  if (err?.name === 'RuntimeError') {
    const message = panics.take() || err.message;
    log.error(message, { is_panic: true, backtrace: err.stack });
    return { code: RPC_ENGINE_ERROR, message, data: { is_panic: true, message, backtrace: err.stack } };
  }
  const errorCode = err?.errorCode ?? (typeof err?.code === 'string' && /^P\d{4}$/.test(err.code) ? err.code : null);
  // Engine messages carry a Rust span trace ("   0: schema_engine_wasm::…"); keep it out of the user's face.
  const raw = String(err?.message ?? err);
  const traceAt = raw.search(/\n {3}0: /);
  let message = traceAt === -1 ? raw : raw.slice(0, traceAt);
  const migrationName = traceAt === -1 ? null : raw.slice(traceAt).match(/migration_name="([^"]+)"/)?.[1];
  if (migrationName && !message.includes(migrationName)) message += `\n\nMigration name: ${migrationName}`;
  message = message.replace(/External error id#(\d+)/g, (text, id) => {
    const original = lookupJsError(Number(id));
    return original ? String(original.message ?? original) : text;
  });
  log.error(message, errorCode ? { error_code: errorCode } : {});
  return {
    code: RPC_ENGINE_ERROR,
    message: 'An error happened. Check the data field for details.',
    data: { is_panic: false, message, meta: err?.meta ?? {}, ...(errorCode ? { error_code: errorCode } : {}) },
  };
}

export class RpcServer {
  #options;
  #engine = null;
  #connection = null;
  #panics = null;
  #nextOutgoingId = 1;
  #pendingOutgoing = new Map();
  #closing = null;

  /** @param {{ datasource?: { url?: string, shadowDatabaseUrl?: string }, datamodels: string[] }} options */
  constructor(options) {
    this.#options = options;
  }

  /** Serve until stdin closes; resolves when everything is cleaned up. */
  async serve() {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    let queue = Promise.resolve();
    lines.on('line', (line) => {
      if (!line.trim()) return;
      let message;
      try {
        message = JSON.parse(line);
      } catch {
        send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
        return;
      }
      if (message.method === undefined && message.id !== undefined) {
        // A reply to one of our own requests (`print`).
        this.#pendingOutgoing.get(message.id)?.();
        this.#pendingOutgoing.delete(message.id);
        return;
      }
      queue = queue.then(() => this.#handle(message));
    });
    await new Promise((resolve) => lines.once('close', resolve));
    for (const resolve of this.#pendingOutgoing.values()) resolve(); // nobody left to answer
    await queue;
    await this.close();
  }

  /** Free the engine, close pools, drop leftover shadow databases. Idempotent. */
  close() {
    this.#closing ??= (async () => {
      const engine = this.#engine;
      const connection = this.#connection;
      this.#engine = null;
      this.#connection = null;
      try {
        engine?.free();
      } catch {}
      await connection?.cleanup();
    })();
    return this.#closing;
  }

  async #handle({ id, method, params }) {
    try {
      const result = await this.#dispatch(method, params ?? {});
      if (id !== undefined) send({ jsonrpc: '2.0', id, result: result ?? {} });
    } catch (err) {
      if (err?.rpcCode === RPC_METHOD_NOT_FOUND) {
        send({ jsonrpc: '2.0', id, error: { code: RPC_METHOD_NOT_FOUND, message: err.message } });
      } else {
        this.#panics ??= (await loadSchemaEngineWasm()).panics;
        const registry = this.#connection?.adapterFactory.errorRegistry;
        send({ jsonrpc: '2.0', id, error: toRpcError(err, this.#panics, (n) => registry?.consumeError(n)?.error) });
      }
    }
  }

  async #dispatch(method, params) {
    log.debug(`rpc ${method}`);
    switch (method) {
      case 'createDatabase':
        return this.#createDatabase(params);
      case 'getDatabaseVersion':
        return (await this.#getEngine(method, params)).version(params);
      case 'diff':
        return this.#diff(params);
      case 'evaluateDataLoss':
      case 'createMigration':
        return this.#withShadowSchemaCache(method, params);
      case 'applyMigrations':
      case 'dbExecute':
      case 'devDiagnostic':
      case 'diagnoseMigrationHistory':
      case 'ensureConnectionValidity':
      case 'introspect':
      case 'introspectSql':
      case 'markMigrationApplied':
      case 'markMigrationRolledBack':
      case 'reset':
      case 'schemaPush': {
        const engine = await this.#getEngine(method, params);
        // Call through the instance: wasm-bindgen methods need `this`.
        return await engine[method](params);
      }
      case 'debugPanic':
        (await this.#getEngine(method, params)).debugPanic();
        return {};
      default:
        throw Object.assign(new Error(`Method not found: ${method} (not supported by the wasm schema engine bridge)`), {
          rpcCode: RPC_METHOD_NOT_FOUND,
        });
    }
  }

  /**
   * wasm-engine quirk: `evaluateDataLoss` / `createMigration` get no shadow
   * database of their own; they reuse the schema that `devDiagnostic` computed
   * for the *applied* migrations. When `migrate dev` has just applied pending
   * migrations that cache misses and the engine fails with "shadow DB must be
   * provided through an external factory". Prime the cache for the current
   * list with `diagnoseMigrationHistory` (which does get the shadow DB), retry once.
   */
  async #withShadowSchemaCache(method, params) {
    const engine = await this.#getEngine(method, params);
    try {
      return await engine[method](params);
    } catch (err) {
      if (!/shadow DB must be provided through an external factory/.test(String(err?.message))) throw err;
      log.info(`${method}: computing the migrations' schema on a shadow database`);
      await engine.diagnoseMigrationHistory({
        migrationsList: params.migrationsList,
        optInToShadowDatabase: true,
        filters: params.filters ?? { externalTables: [], externalEnums: [] },
      });
      return await engine[method](params);
    }
  }

  /** `diff` returns its output; the native engine prints it through the CLI (`print` request). */
  async #diff(params) {
    const engine = await this.#getEngine('diff', params);
    const result = await engine.diff(params);
    if (result.stdout) await this.#print(result.stdout.replace(/\n$/, ''));
    return { ...result, stdout: null };
  }

  #print(content) {
    const id = `bridge-print-${this.#nextOutgoingId++}`;
    return new Promise((resolve) => {
      this.#pendingOutgoing.set(id, resolve);
      send({ jsonrpc: '2.0', id, method: 'print', params: { content } });
    });
  }

  async #createDatabase({ datasource }) {
    const url = datasource?.tag === 'ConnectionString' ? datasource.url : this.#options.datasource?.url;
    const target = parsePostgresUrl(url);
    try {
      await createDatabase(target.connectionString, target.database);
    } catch (err) {
      throw toConnectionError(err, target);
    }
    return { databaseName: target.database };
  }

  /**
   * Start the wasm engine on first use. It connects eagerly, so for a diff that
   * never reads the configured database (empty / schema / migrations only) we
   * fall back to the server's `postgres` database when the configured one does
   * not exist yet.
   */
  async #getEngine(method, params) {
    if (this.#engine) return this.#engine;
    const { datasource } = this.#options;
    if (!datasource?.url) {
      throw Object.assign(new Error('No datasource URL configured: set `datasource.url` in prisma.config.ts.'), {
        errorCode: 'P1012',
      });
    }
    try {
      return await this.#startEngine(datasource);
    } catch (err) {
      const offlineDiff =
        method === 'diff' && OFFLINE_DIFF_TAGS.has(params.from?.tag) && OFFLINE_DIFF_TAGS.has(params.to?.tag);
      if (!offlineDiff || !/does not exist/i.test(String(err?.message))) throw err;
      const { connectionString } = parsePostgresUrl(datasource.url);
      log.info('configured database does not exist; diff runs against the "postgres" database instead');
      return this.#startEngine({ ...datasource, url: withDatabase(connectionString, 'postgres') });
    }
  }

  async #startEngine(datasource) {
    const { glue, panics } = await loadSchemaEngineWasm();
    this.#panics = panics;
    const connection = createAdapterFactory(datasource);
    const datamodels = this.#options.datamodels.map((path) => [path, readFileSync(path, 'utf8')]);
    try {
      this.#engine = await glue.SchemaEngine.new(
        { datamodels: datamodels.length ? datamodels : undefined },
        (line) => process.stderr.write(`${line}\n`), // already a JSON tracing line
        connection.adapterFactory,
      );
    } catch (err) {
      await connection.cleanup();
      throw err;
    }
    this.#connection = connection;
    return this.#engine;
  }
}
