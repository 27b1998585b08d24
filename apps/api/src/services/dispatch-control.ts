import type { AuditLog } from '@wa-dispatch/core';
import type { DispatchSwitchKey, DispatchSwitchRow, PacingRepository } from '@wa-dispatch/db';
import type { DispatchSwitches } from '@wa-dispatch/queue';

export interface DispatchPauseState {
  all: DispatchSwitchRow;
  automatic: DispatchSwitchRow;
  /** The Redis copy the workers read; null if Redis could not be read. */
  redis: { present: boolean; pausedAll: boolean; pausedAutomatic: boolean } | null;
}

/**
 * The global kill switch and the automatic-sends switch. Postgres is written
 * FIRST (the source of truth: workers re-assert Redis from it after a flush),
 * then Redis; a pause resolves only after every process's 250 ms switch cache
 * has expired, so when `pause('all')` returns no worker starts another send
 * (the kill switch is checked again right before the transport call).
 */
export class DispatchControl {
  constructor(
    private readonly o: { pacing: PacingRepository; switches: DispatchSwitches; audit: AuditLog },
  ) {}

  async pause(scope: DispatchSwitchKey, actor: string): Promise<DispatchPauseState> {
    await this.o.pacing.setSwitch(scope, true, actor);
    await this.o.switches.set(scope === 'all' ? { pausedAll: true } : { pausedAutomatic: true }, { settle: true });
    await this.o.audit.record({ chatId: null, actor, action: 'dispatch.pause', detail: { scope } });
    return this.state();
  }

  async resume(scope: DispatchSwitchKey, actor: string): Promise<DispatchPauseState> {
    await this.o.pacing.setSwitch(scope, false, actor);
    await this.o.switches.set(scope === 'all' ? { pausedAll: false } : { pausedAutomatic: false }, { settle: false });
    await this.o.audit.record({ chatId: null, actor, action: 'dispatch.resume', detail: { scope } });
    return this.state();
  }

  async state(): Promise<DispatchPauseState> {
    const rows = await this.o.pacing.switches();
    const redis = await this.o.switches.read().catch(() => null);
    return { all: rows.all, automatic: rows.automatic, redis };
  }
}
