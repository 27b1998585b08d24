/**
 * Adds send jobs to their shard's queue. Invariants:
 * - job `send` goes to `send.{sN}` with N = shardOf(chatId): the worker holding
 *   shard N's lease is the only one that may process it;
 * - jobId = messageId, so re-adding a job still present in Redis (any state) is
 *   a no-op. Once a completed job is removed (removeOnComplete) the same id can
 *   be added again, so the processor must still check the outbox row's status;
 * - job data is exactly SendJobData (ids only; strict schema, validated here).
 */
import { Queue, type DefaultJobOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { AppError, SEND_JOB_NAME, SendJobData, shardOf } from '@wa-dispatch/core';
import { KeyLayout } from './key-layout.js';
import { silentLogger, type QueueLogger } from './logger.port.js';
import type { SendAdmission } from './pacing/enqueue-admission.js';
import type { RedisClient } from './redis-script.js';

export type SendQueue = Queue<SendJobData, unknown, typeof SEND_JOB_NAME>;

export interface SendProducerOptions {
  /** A client is shared (and not closed by `close()`); options get one owned connection. */
  connection: RedisClient | RedisOptions;
  prefix?: string;
  shardCount: number;
  attempts?: number;
  /** First retry delay; doubles on each attempt. */
  backoffMs?: number;
  logger?: QueueLogger;
  /**
   * Fairness (issue 4): spreads each tenant's new jobs over time by its rate
   * (a BullMQ `delay` per job; see pacing/enqueue-admission.ts). Without it
   * jobs are added without delay. The API wires it when PACING=on.
   */
  admission?: SendAdmission;
}

/**
 * Retries cover transient failures only: the processor marks refusals
 * (wrong owner, wrong shard, stale epoch, bad data) unrecoverable, so
 * `attempts` never re-sends something that was refused on purpose.
 */
export function sendJobOptions(attempts = 5, backoffMs = 2_000): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    removeOnComplete: { age: 3_600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3_600 },
  };
}

function isClient(c: RedisClient | RedisOptions): c is RedisClient {
  return typeof (c as { pipeline?: unknown }).pipeline === 'function';
}

function delayOpt(delay: number | undefined): { delay?: number } {
  return delay !== undefined && delay > 0 ? { delay: Math.ceil(delay) } : {};
}

function parseJob(job: unknown, index?: number): SendJobData {
  const parsed = SendJobData.safeParse(job);
  if (parsed.success) return parsed.data;
  // Paths and codes only: values could be a phone number or message text.
  const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), code: i.code }));
  throw new AppError('JOB.INVALID', 'Send job data is invalid', {
    details: index === undefined ? { issues } : { index, issues },
  });
}

export class SendProducer {
  readonly shardCount: number;
  readonly keys: KeyLayout;
  private readonly connection: RedisClient;
  private readonly ownsConnection: boolean;
  private readonly jobOptions: DefaultJobOptions;
  private readonly logger: QueueLogger;
  private readonly queues = new Map<number, SendQueue>();
  private readonly admission: SendAdmission | undefined;
  private closed = false;

  constructor(opts: SendProducerOptions) {
    if (!Number.isInteger(opts.shardCount) || opts.shardCount < 1) {
      throw new AppError('CONFIG.INVALID', 'shardCount must be a positive integer', {
        details: { shardCount: opts.shardCount },
      });
    }
    this.shardCount = opts.shardCount;
    this.keys = new KeyLayout(opts.prefix);
    this.jobOptions = sendJobOptions(opts.attempts, opts.backoffMs);
    this.logger = opts.logger ?? silentLogger;
    this.admission = opts.admission;
    if (isClient(opts.connection)) {
      this.connection = opts.connection;
      this.ownsConnection = false;
    } else {
      this.connection = new Redis({ maxRetriesPerRequest: 3, enableReadyCheck: true, ...opts.connection });
      this.ownsConnection = true;
    }
  }

  shardFor(chatId: bigint | string): number {
    return shardOf(typeof chatId === 'bigint' ? chatId : BigInt(chatId), this.shardCount);
  }

  /** Queues are created on first use; all of them share one connection. */
  queueFor(shard: number): SendQueue {
    if (this.closed) throw new AppError('INTERNAL', 'SendProducer is closed');
    if (!Number.isInteger(shard) || shard < 0 || shard >= this.shardCount) {
      throw new AppError('CONFIG.INVALID', `shard must be in 0..${this.shardCount - 1}`, { details: { shard } });
    }
    let queue = this.queues.get(shard);
    if (queue === undefined) {
      const name = this.keys.sendQueueName(shard);
      queue = new Queue<SendJobData, unknown, typeof SEND_JOB_NAME>(name, {
        connection: this.connection,
        prefix: this.keys.bullPrefix,
        defaultJobOptions: this.jobOptions,
      });
      // An EventEmitter 'error' without a listener would crash the process.
      queue.on('error', (err) => this.logger.error({ err, queue: name }, 'send queue error'));
      this.queues.set(shard, queue);
    }
    return queue;
  }

  /** Every shard's queue, e.g. for Bull Board. */
  allQueues(): SendQueue[] {
    return Array.from({ length: this.shardCount }, (_, shard) => this.queueFor(shard));
  }

  async enqueue(job: SendJobData): Promise<void> {
    const data = parseJob(job);
    const shard = this.shardFor(data.chatId);
    const [delay] = await this.admissionDelays(data.chatId, shard, 1);
    await this.queueFor(shard).add(SEND_JOB_NAME, data, { jobId: data.messageId, ...delayOpt(delay) });
  }

  /** Validates the whole batch before adding anything, then one addBulk per shard. */
  async enqueueMany(jobs: readonly SendJobData[]): Promise<void> {
    const byShard = new Map<number, SendJobData[]>();
    jobs.forEach((job, index) => {
      const data = parseJob(job, index);
      const shard = this.shardFor(data.chatId);
      const group = byShard.get(shard);
      if (group === undefined) byShard.set(shard, [data]);
      else group.push(data);
    });
    await Promise.all(
      [...byShard].map(async ([shard, group]) => {
        const delays = await this.groupDelays(shard, group);
        await this.queueFor(shard).addBulk(
          group.map((data, i) => ({ name: SEND_JOB_NAME, data, opts: { jobId: data.messageId, ...delayOpt(delays[i]) } })),
        );
      }),
    );
  }

  /** Admission delays for one shard's batch, per tenant in batch order. */
  private async groupDelays(shard: number, group: readonly SendJobData[]): Promise<(number | undefined)[]> {
    if (this.admission === undefined) return [];
    const byTenant = new Map<string, number[]>();
    group.forEach((data, i) => {
      const idx = byTenant.get(data.chatId);
      if (idx === undefined) byTenant.set(data.chatId, [i]);
      else idx.push(i);
    });
    const out: (number | undefined)[] = new Array(group.length);
    await Promise.all(
      [...byTenant].map(async ([chatId, idx]) => {
        const d = await this.admissionDelays(chatId, shard, idx.length);
        idx.forEach((i, k) => (out[i] = d[k]));
      }),
    );
    return out;
  }

  /**
   * Best effort: if admission fails (limits lookup, Redis) the jobs go in
   * without delay; the worker's pacing still holds every limit.
   */
  private async admissionDelays(chatId: string, shard: number, count: number): Promise<readonly (number | undefined)[]> {
    if (this.admission === undefined) return [];
    try {
      return await this.admission.delays(BigInt(chatId), shard, count);
    } catch (err) {
      this.logger.warn({ err, chatId, shard }, 'enqueue admission failed; adding without delay');
      return [];
    }
  }

  /**
   * Whether the job sits in any list of its shard's queue (waiting, delayed,
   * active, completed, failed…). A job hash left without any list membership
   * counts as absent here, yet would still make a re-add a no-op.
   */
  /**
   * Puts a pending outbox row's job back if Redis no longer has a live one.
   * A finished job (or an orphaned job hash) for a row that is still pending
   * is stale and is replaced; a waiting, delayed or active job is left alone.
   * Returns true when a job was (re-)added.
   */
  async restore(job: SendJobData): Promise<boolean> {
    const data = parseJob(job);
    const queue = this.queueFor(this.shardFor(data.chatId));
    const state = await queue.getJobState(data.messageId);
    if (state !== 'unknown' && state !== 'completed' && state !== 'failed') return false;
    await queue.remove(data.messageId).catch(() => 0);
    const added = await queue.add(SEND_JOB_NAME, data, { jobId: data.messageId });
    return added.id === data.messageId;
  }

  /**
   * Puts a tenant's held backlog back in line, oldest first (a tenant resume):
   * each waiting job gets a fresh admission slot in the given order, so the
   * backlog drains in creation order at the tenant's own rate. Jobs that are
   * running are left alone; jobs Redis lost are added again. Wake times are at
   * least `orderGapMs` apart so concurrent workers cannot reorder a burst.
   * Returns how many jobs were re-timed or re-added.
   */
  async readmit(chatId: bigint | string, jobs: readonly SendJobData[], orderGapMs = 100): Promise<number> {
    if (jobs.length === 0) return 0;
    const shard = this.shardFor(chatId);
    const queue = this.queueFor(shard);
    const delays = await this.admissionDelays(String(chatId), shard, jobs.length);
    let moved = 0;
    let previous = -orderGapMs;
    for (const [i, job] of jobs.entries()) {
      const data = parseJob(job, i);
      // strictly increasing wake times, even inside a burst, keep the creation order
      const delay = Math.max(0, delays[i] ?? 0, previous + orderGapMs);
      previous = delay;
      const existing = await queue.getJob(data.messageId);
      if (!existing) {
        await queue.add(SEND_JOB_NAME, data, { jobId: data.messageId, ...(delay > 0 ? { delay } : {}) });
        moved++;
        continue;
      }
      if ((await existing.getState()) !== 'delayed') continue;
      // changeDelay only applies to delayed jobs; a job that just woke keeps its turn
      if (await existing.changeDelay(delay).then(() => true, () => false)) moved++;
    }
    return moved;
  }

  async hasJob(messageId: string, chatId: bigint | string): Promise<boolean> {
    const state = await this.queueFor(this.shardFor(chatId)).getJobState(messageId);
    return state !== 'unknown';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    if (this.ownsConnection) await this.connection.quit();
  }
}
