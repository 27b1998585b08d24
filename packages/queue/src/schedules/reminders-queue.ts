/**
 * The single reminders queue of a deployment (`{reminders}` under the
 * deployment prefix): the API upserts Job Schedulers on it, every worker
 * process consumes it (no shard: a firing only writes the outbox, and the
 * send itself goes to the tenant's shard queue).
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import { REMINDERS_QUEUE_NAME } from '../key-layout.js';

export function createRemindersQueue(o: { connection: ConnectionOptions; prefix: string }): Queue {
  return new Queue(REMINDERS_QUEUE_NAME, { connection: o.connection, prefix: o.prefix });
}
