// `schema-engine --datasource JSON cli <command>`: the one-shot commands the
// Prisma CLI runs before starting the RPC engine (e.g. `migrate dev` checks the
// database exists and creates it). Implemented directly with node-postgres.
//
// Failure contract (what the CLI parses): exit code 1 and, on stderr, JSON log
// lines where the error is `{ level: "ERROR", target: "schema_engine::logger",
// fields: { message, error_code } }`. The CLI ignores the first stderr line.
import { log } from './log.mjs';
import { createDatabase, dropDatabase, parsePostgresUrl, userError, withClient } from './pg.mjs';

/** Translate a node-postgres / network error into a Prisma P1xxx error. */
export function toConnectionError(err, { connectionString, database }) {
  if (err?.errorCode) return err;
  const { hostname, port } = new URL(connectionString);
  const location = `${hostname}:${port || 5432}`;
  switch (err?.code) {
    case '3D000':
      return userError('P1003', `Database \`${database}\` does not exist on the database server at \`${location}\`.`, {
        database_name: database,
        database_host: hostname,
        database_port: Number(port || 5432),
      });
    case '28P01':
    case '28000':
      return userError(
        'P1000',
        `Authentication failed against database server at \`${hostname}\`, the provided database credentials are not valid.`,
      );
    case '42P04':
      return userError('P1009', `Database \`${database}\` already exists on the database server at \`${location}\``);
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return userError(
        'P1001',
        `Can't reach database server at \`${location}\`\n\nPlease make sure your database server is running at \`${location}\`.`,
      );
    default:
      return userError('P1000', err?.message ?? String(err));
  }
}

const commands = {
  async 'can-connect-to-database'(target) {
    await withClient(target.connectionString, (c) => c.query('SELECT 1'));
  },
  async 'create-database'(target) {
    await createDatabase(target.connectionString, target.database);
    log.info(`Database '${target.database}' was successfully created.`);
  },
  async 'drop-database'(target) {
    await dropDatabase(target.connectionString, target.database);
    log.info(`The database '${target.database}' was successfully dropped.`);
  },
};

/** @returns {Promise<number>} process exit code */
export async function runCliCommand(command, datasource) {
  log.info(`Starting schema engine bridge CLI command: ${command}`);
  const run = commands[command];
  try {
    if (!run) throw userError('P1000', `Unknown schema engine CLI command: ${command}`);
    if (!datasource?.url) throw userError('P1012', 'No datasource URL given (--datasource {"url": …}).');
    const target = parsePostgresUrl(datasource.url);
    try {
      await run(target);
    } catch (err) {
      throw toConnectionError(err, target);
    }
    return 0;
  } catch (err) {
    log.error(err.message, { error_code: err.errorCode ?? 'P1000', is_panic: false });
    return 1;
  }
}
