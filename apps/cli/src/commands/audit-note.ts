import type { AuditEntry, AuditLog } from '@wa-dispatch/core';
import type { CliIo } from '../cli-io.js';

/** Who the audit trail names for CLI actions. */
export const CLI_ACTOR = 'cli';

/**
 * Operator actions are audited after they succeed; a failed audit write is a
 * warning, not a failure (the action already committed, and a retry would
 * only hit "already exists").
 */
export async function auditQuietly(audit: AuditLog | undefined, io: CliIo, entry: AuditEntry): Promise<void> {
  if (!audit) return;
  try {
    await audit.record(entry);
  } catch (err) {
    io.err(`warning: audit write failed (${err instanceof Error ? err.message.slice(0, 200) : 'unknown'})`);
  }
}
