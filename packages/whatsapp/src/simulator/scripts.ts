import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** The simulator's Lua scripts (see each file's header for KEYS, ARGV and reply). */
export const SCRIPT_NAMES = ['link', 'drop', 'claim', 'qr_issue', 'qr_clear', 'inbound', 'send'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

interface LoadedScript {
  lua: string;
  sha: string;
}

// Next to this module in src/ (tsx, vitest); a build copies them to dist/, and
// a dist/ without them falls back to the sources.
const CANDIDATE_DIRS = [new URL('./lua/', import.meta.url), new URL('../../src/simulator/lua/', import.meta.url)];

let loaded: Map<ScriptName, LoadedScript> | undefined;

function load(): Map<ScriptName, LoadedScript> {
  if (loaded) return loaded;
  const dir = CANDIDATE_DIRS.find((d) => existsSync(new URL('send.lua', d)));
  if (!dir) throw new Error('simulator Lua scripts not found next to the module');
  const map = new Map<ScriptName, LoadedScript>();
  for (const name of SCRIPT_NAMES) {
    const lua = readFileSync(new URL(`${name}.lua`, dir), 'utf8');
    map.set(name, { lua, sha: createHash('sha1').update(lua).digest('hex') });
  }
  loaded = map;
  return map;
}

/** EVALSHA, falling back to EVAL once when the server does not have the script cached. */
export async function runScript(
  redis: Redis,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  const script = load().get(name);
  if (!script) throw new Error(`unknown simulator script ${name}`);
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('NOSCRIPT')) {
      return await redis.eval(script.lua, keys.length, ...keys, ...args);
    }
    throw e;
  }
}

/** Script replies are arrays of strings and integers; this narrows them to strings. */
export function replyStrings(reply: unknown): string[] {
  if (!Array.isArray(reply)) throw new Error('unexpected simulator script reply');
  return reply.map((v: unknown) => (typeof v === 'string' ? v : String(v)));
}
