// Logging for the bridge. stdout is reserved for JSON-RPC, so every log line
// goes to stderr as one JSON object in the native engine's tracing format
// ({ timestamp, level, fields: { message, … }, target }); the CLI parses these.
const TARGET = 'schema_engine';

function write(level, message, fields = {}, target = TARGET) {
  const line = { timestamp: new Date().toISOString(), level, fields: { message: String(message), ...fields }, target };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

export const log = {
  debug: (msg, fields) => process.env.PRISMA_BRIDGE_DEBUG && write('DEBUG', msg, fields),
  info: (msg, fields) => write('INFO', msg, fields),
  warn: (msg, fields) => write('WARN', msg, fields),
  /** An error the CLI shows to the user (`schema_engine::logger` target, like the native engine). */
  error: (msg, fields) => write('ERROR', msg, fields, 'schema_engine::logger'),
};

/** Keep stray console output (libraries, debug) off stdout. */
export function redirectConsoleToStderr() {
  for (const method of ['log', 'info', 'debug', 'trace']) {
    console[method] = (...args) => log.info(args.map(String).join(' '));
  }
  console.warn = (...args) => log.warn(args.map(String).join(' '));
  console.error = (...args) => log.warn(args.map(String).join(' '));
}
