import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/** Either client works: every multi-key script keeps its keys in one hash slot. */
export type RedisClient = Redis | Cluster;

export type ScriptCall = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

const sources = new Map<string, string>();

function source(file: string): string {
  let lua = sources.get(file);
  if (lua === undefined) {
    lua = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
    sources.set(file, lua);
  }
  return lua;
}

/**
 * Registers `lua/<file>` on the client under `name` (ioredis then uses EVALSHA
 * and falls back to EVAL on NOSCRIPT) and returns a typed-enough caller.
 * Redefining the same name on a shared client is harmless: same script, same SHA.
 */
export function defineScript(redis: RedisClient, name: string, file: string, numberOfKeys: number): ScriptCall {
  redis.defineCommand(name, { numberOfKeys, lua: source(file) });
  const client = redis as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>;
  return (keys, args) => {
    if (keys.length !== numberOfKeys) {
      throw new Error(`script ${name} expects ${numberOfKeys} keys, got ${keys.length}`);
    }
    const fn = client[name];
    if (fn === undefined) throw new Error(`script ${name} is not defined on this client`);
    return fn.call(redis, ...keys, ...args);
  };
}
