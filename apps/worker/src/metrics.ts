import { Counter, Gauge, Registry } from 'prom-client';

/** Worker metrics; one registry per worker instance so tests can run several in one process. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly outcomes = new Counter({
    name: 'wad_send_outcomes_total',
    help: 'Send job outcomes by kind and code',
    labelNames: ['kind', 'code'] as const,
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'wad_jobs_refused_total',
    help: 'Jobs refused by the isolation checks (owner, shard, socket)',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly reconciled = new Counter({
    name: 'wad_outbox_reenqueued_total',
    help: 'Outbox rows re-enqueued by the reconciler',
    registers: [this.registry],
  });
  readonly restrictions = new Counter({
    name: 'wad_tenant_restrictions_total',
    help: 'Restriction breaker trips (WhatsApp restricted, rate-limited or reach-out-locked a tenant number) by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly held = new Counter({
    name: 'wad_send_held_total',
    help: 'Sends held back (delayed, not failed) by a gate: kill switch, tenant pause, restriction, pacing',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly reminderFirings = new Counter({
    name: 'wad_reminder_firings_total',
    help: 'Reminder firings by outcome: queued, duplicate (already sent once), held (quiet hours), skipped, failed, gone (row deleted), refused',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly ownedShards = new Gauge({
    name: 'wad_owned_shards',
    help: 'Shards whose lease this worker holds',
    registers: [this.registry],
  });
  readonly liveSessions = new Gauge({
    name: 'wad_live_sessions',
    help: 'Transport sessions open in this worker',
    registers: [this.registry],
  });
}
