import type { AuditEntry } from '@wa-dispatch/core';
import type { RouteContext } from './route-context.js';

/**
 * Admin actions are audited after they succeed. A failed audit write is
 * logged, not turned into an error: the action itself already committed, and
 * answering 500 would invite a retry that fails with a 409.
 */
export async function auditSafely(ctx: RouteContext, entry: AuditEntry): Promise<void> {
  try {
    await ctx.audit.record(entry);
  } catch (err) {
    ctx.logger.error({ action: entry.action, err: err instanceof Error ? err.message.slice(0, 200) : 'unknown' }, 'audit write failed');
  }
}
