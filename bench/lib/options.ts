/**
 * Bench options: `--name=value` (or `--flag`) on the command line, else the
 * `BENCH_NAME` environment variable, else the default. Unknown flags fail, so
 * a typo never silently runs the default benchmark.
 */
export interface OptionSpec {
  name: string;
  default: number | boolean;
  help: string;
}

export function parseOptions<const S extends readonly OptionSpec[]>(
  specs: S,
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): { [K in S[number] as K['name']]: K['default'] extends boolean ? boolean : number } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const cli = new Map<string, string>();
  for (const arg of argv) {
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') {
      console.log(specs.map((s) => `  --${s.name}${typeof s.default === 'boolean' ? '' : '=N'}  ${s.help} (default ${String(s.default)})`).join('\n'));
      process.exit(0);
    }
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!m || !byName.has(m[1]!)) throw new Error(`unknown argument ${arg} (try --help)`);
    cli.set(m[1]!, m[2] ?? 'true');
  }
  const out: Record<string, number | boolean> = {};
  for (const spec of specs) {
    const envName = `BENCH_${spec.name.toUpperCase().replace(/-/g, '_')}`;
    const raw = cli.get(spec.name) ?? env[envName];
    if (raw === undefined || raw === '') {
      out[spec.name] = spec.default;
    } else if (typeof spec.default === 'boolean') {
      if (!/^(true|false|1|0)$/.test(raw)) throw new Error(`--${spec.name} / ${envName} must be true or false`);
      out[spec.name] = raw === 'true' || raw === '1';
    } else {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${spec.name} / ${envName} must be a non-negative number`);
      out[spec.name] = n;
    }
  }
  return out as never;
}
