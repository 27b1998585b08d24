export interface AuditEntry {
  /** null for deployment-wide events */
  chatId: bigint | null;
  /** who acted: `worker:<id>`, `key:<id>`, `system` */
  actor: string;
  action: string;
  code?: string;
  detail?: Record<string, unknown>;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}
