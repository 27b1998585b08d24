/**
 * Measurement helpers that sit outside the measured code: CPU snapshots taken
 * at the edges of a timed window, and (profile mode only) counters patched
 * onto the pg and ioredis client prototypes to count round trips.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';

// ---------------------------------------------------------------- CPU

export interface CpuSnapshot {
  atMs: number;
  nodeUs: number;
  /** ms of CPU (utime+stime) per Postgres backend serving this process's connections */
  postgres: Map<number, number>;
  /** used_cpu_user+sys of the Redis server (whole server: other clients count too), in ms. */
  redisMs: number;
}

/** Local ports of this process's TCP connections to `remotePort` (Linux /proc). */
function myLocalPorts(remotePort: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const local = Number.parseInt(f[1]!.split(':')[1]!, 16);
      const remote = Number.parseInt(f[2]!.split(':')[1]!, 16);
      if (remote === remotePort && inodes.has(f[9]!)) ports.push(local);
    }
  }
  return ports;
}

function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime at 100 ticks/s
  } catch {
    return undefined;
  }
}

/**
 * CPU of the Postgres backends serving this process's own connections, so
 * other sessions on a shared server are not counted. Needs the server on
 * this host at port 5432; otherwise the map stays empty.
 */
async function myPostgresCpu(pool: pg.Pool | undefined): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!pool) return out;
  try {
    const ports = myLocalPorts(5432);
    const { rows } = await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])`, [ports]);
    for (const { pid } of rows) {
      const ms = procCpuMs(pid);
      if (ms !== undefined) out.set(pid, ms);
    }
  } catch {
    // not Linux, or not local: leave it empty
  }
  return out;
}

async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1000;
}

/** `pool`: any pg pool of this process, used to map its connections to backend pids. */
export async function cpuSnapshot(redis: Redis, pool?: pg.Pool): Promise<CpuSnapshot> {
  const postgres = await myPostgresCpu(pool);
  const redisMs = await redisCpuMs(redis);
  const u = process.cpuUsage();
  return { atMs: performance.now(), nodeUs: u.user + u.system, postgres, redisMs };
}

export interface CpuPerItem {
  /** µs of CPU per item in this Node process (all threads of it) */
  node: number;
  postgres: number;
  redis: number;
  /** cores busy on average over the window (node + postgres + redis) */
  coresBusy: number;
}

export function cpuPerItem(a: CpuSnapshot, b: CpuSnapshot, items: number): CpuPerItem {
  const wallMs = b.atMs - a.atMs;
  const nodeMs = (b.nodeUs - a.nodeUs) / 1000;
  let pgMs = 0;
  // a backend that appeared during the window counts whole (it started in it)
  for (const [pid, ms] of b.postgres) pgMs += ms - (a.postgres.get(pid) ?? 0);
  const redisMs = b.redisMs - a.redisMs;
  return {
    node: (nodeMs * 1000) / items,
    postgres: (pgMs * 1000) / items,
    redis: (redisMs * 1000) / items,
    coresBusy: (nodeMs + pgMs + redisMs) / wallMs,
  };
}

// ------------------------------------------------------- call counters

export interface CallCounts {
  pg: Map<string, { n: number; ms: number }>;
  redis: Map<string, { n: number; ms: number }>;
}

let active: CallCounts | undefined;
let installed = false;
const shaNames = new Map<string, string>();

function bump(map: Map<string, { n: number; ms: number }>, key: string, ms: number): void {
  const e = map.get(key);
  if (e) {
    e.n++;
    e.ms += ms;
  } else map.set(key, { n: 1, ms });
}

function sqlKey(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 90 ? `${flat.slice(0, 90)}…` : flat;
}

/** Names the simulator's Lua scripts by their sha (they are run with EVALSHA directly). */
function learnSimulatorScripts(repoRoot: string): void {
  const dir = join(repoRoot, 'packages/whatsapp/src/simulator/lua');
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.lua')) continue;
    const sha = createHash('sha1').update(readFileSync(join(dir, f), 'utf8')).digest('hex');
    shaNames.set(sha, `sim:${f.replace(/\.lua$/, '')}`);
  }
}

/**
 * Patches pg.Client#query and Redis#sendCommand once; counting happens only
 * between startCounting() and stopCounting(). Profile mode only: the
 * wrappers add a little overhead to every call.
 */
export function installCounters(repoRoot: string): void {
  if (installed) return;
  installed = true;
  learnSimulatorScripts(repoRoot);

  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const origQuery = proto.query;
  proto.query = function patchedQuery(this: unknown, ...args: unknown[]) {
    const counts = active;
    if (!counts) return origQuery.apply(this, args);
    const first = args[0] as string | { text?: string };
    const key = sqlKey(typeof first === 'string' ? first : (first?.text ?? '?'));
    const t0 = performance.now();
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (...cbArgs: unknown[]) => {
        bump(counts.pg, key, performance.now() - t0);
        return (last as (...a: unknown[]) => unknown)(...cbArgs);
      };
      return origQuery.apply(this, args);
    }
    const out = origQuery.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === 'function') {
      (out as Promise<unknown>).then(
        () => bump(counts.pg, key, performance.now() - t0),
        () => bump(counts.pg, `${key} (error)`, performance.now() - t0),
      );
    } else bump(counts.pg, key, 0);
    return out;
  };

  const rproto = Redis.prototype as unknown as {
    sendCommand: (command: RedisCommand, ...rest: unknown[]) => unknown;
    scriptsSet?: Record<string, { sha: string }>;
  };
  const origSend = rproto.sendCommand;
  rproto.sendCommand = function patchedSend(this: typeof rproto, command: RedisCommand, ...rest: unknown[]) {
    const counts = active;
    if (counts && command && typeof command.name === 'string') {
      let key = command.name;
      if (key === 'evalsha' || key === 'eval') {
        const sha = String(command.args?.[0] ?? '');
        let name = shaNames.get(sha);
        if (!name && this.scriptsSet) {
          for (const [n, s] of Object.entries(this.scriptsSet)) shaNames.set(s.sha, `bullmq:${n}`);
          name = shaNames.get(sha);
        }
        key = `${key} ${name ?? sha.slice(0, 8)}`;
      }
      if (rest[0] !== undefined) key += ' (pipelined)';
      const t0 = performance.now();
      const p = command.promise;
      if (p && typeof p.then === 'function') {
        p.then(
          () => bump(counts.redis, key, performance.now() - t0),
          () => bump(counts.redis, `${key} (error)`, performance.now() - t0),
        );
      } else bump(counts.redis, key, 0);
    }
    return origSend.call(this, command, ...rest);
  };
}

interface RedisCommand {
  name: string;
  args?: unknown[];
  promise?: Promise<unknown>;
}

export function startCounting(): CallCounts {
  active = { pg: new Map(), redis: new Map() };
  return active;
}

export function stopCounting(): void {
  active = undefined;
}

/** Lines "  n/item  avg ms  statement", most frequent first. */
export function describeCounts(map: Map<string, { n: number; ms: number }>, items: number, limit = 14): string[] {
  const rows = [...map.entries()].sort((a, b) => b[1].n - a[1].n);
  const total = rows.reduce((s, [, v]) => s + v.n, 0);
  const lines = rows
    .slice(0, limit)
    .map(([k, v]) => `    ${(v.n / items).toFixed(2).padStart(6)}/item  ${(v.ms / v.n).toFixed(2).padStart(6)} ms avg  ${k}`);
  if (rows.length > limit) lines.push(`    … ${rows.length - limit} more kinds`);
  lines.unshift(`    ${(total / items).toFixed(2).padStart(6)}/item  total`);
  return lines;
}

// ------------------------------------------------------- CPU profile

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Starts sampling this thread's CPU; the returned function stops and yields the profile. */
export async function startCpuProfile(): Promise<() => Promise<Profile>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return async () => {
    try {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
      return profile;
    } finally {
      session.disconnect();
    }
  };
}

function bucketOf(cf: ProfileNode['callFrame']): string {
  const url = cf.url.replace(/^file:\/\//, '');
  if (!url) return `(${cf.functionName || 'native'})`;
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return mod[1]!;
  const local = /\/((?:packages|apps)\/[^/]+)\//.exec(url);
  if (local) return local[1]!;
  if (url.startsWith('node:')) return 'node: (core)';
  if (url.startsWith('wasm://')) return 'wasm (prisma query compiler)';
  return url.replace(/.*\//, '');
}

/** Self time by package (and by native frame: writev, GC, idle), biggest first. */
export function summarizeProfile(profile: Profile, limit = 12): { lines: string[]; busyMs: number } {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  // the profiler's own start-up shows up under startCpuProfile: not the code under test
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ours = (id: number): boolean => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (nodes.get(cur)!.callFrame.functionName === 'startCpuProfile') return true;
    }
    return false;
  };
  const byBucket = new Map<string, number>();
  for (const [id, us] of self) {
    if (ours(id)) continue;
    const b = bucketOf(nodes.get(id)!.callFrame);
    byBucket.set(b, (byBucket.get(b) ?? 0) + us);
  }
  const idle = byBucket.get('((idle))') ?? 0;
  const total = [...byBucket.values()].reduce((a, b) => a + b, 0);
  const busy = total - idle;
  const lines = [...byBucket]
    .filter(([k]) => k !== '((idle))')
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([k, us]) => `    ${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`);
  lines.unshift(`    main thread busy ${(busy / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms sampled`);
  return { lines, busyMs: busy / 1000 };
}

export function saveProfile(dir: string, name: string, profile: Profile): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  return file;
}
