import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * A mistake in how the command was typed (unknown command or option, missing
 * argument): exit code 2 and the command's usage, as opposed to an AppError
 * (the command ran and failed: exit code 1).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** usage text of the command that was being parsed */
    readonly usage?: string,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs<O extends Options> {
  values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };
  positionals: string[];
}

// Telegram group ids are negative ("-1001234567890"); parseArgs would read
// them as short options, so they are passed through as positionals (and as
// values of the option right before them).
const NEGATIVE_NUMBER = /^-[0-9]+$/;
const PLACEHOLDER = '\u0000neg:';

/**
 * node:util parseArgs in strict mode, plus: `--help`/`-h` on every command,
 * negative numbers as positionals, exactly `count` positionals (or a range).
 */
export function parseCommandArgs<O extends Options>(
  argv: readonly string[],
  options: O,
  usage: string,
  positionals: { min: number; max?: number },
): ParsedArgs<O> & { help: boolean } {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (NEGATIVE_NUMBER.test(arg)) {
      const prev = args[args.length - 1];
      const opt = prev?.startsWith('--') && !prev.includes('=') ? options[prev.slice(2)] : undefined;
      if (opt?.type === 'string') args[args.length - 1] = `${prev}=${arg}`;
      else args.push(`${PLACEHOLDER}${arg}`);
      continue;
    }
    args.push(arg);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), usage);
  }
  const values = parsed.values as Record<string, unknown>;
  const help = values.help === true;
  delete values.help;
  const rest = parsed.positionals.map((p) => (p.startsWith(PLACEHOLDER) ? p.slice(PLACEHOLDER.length) : p));
  if (!help) {
    const max = positionals.max ?? positionals.min;
    if (rest.length < positionals.min) throw new UsageError('missing argument', usage);
    if (rest.length > max) throw new UsageError(`unexpected argument "${rest[max] ?? ''}"`, usage);
  }
  return { values: values as ParsedArgs<O>['values'], positionals: rest, help };
}

/** The value of a closed-set option, or a usage error listing the choices. */
export function oneOf<T extends string>(value: string | undefined, choices: readonly T[], name: string, usage: string): T | undefined {
  if (value === undefined) return undefined;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}`, usage);
}
