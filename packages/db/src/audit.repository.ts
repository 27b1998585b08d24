import type { AuditEntry, AuditLog } from '@wa-dispatch/core';
import type { Prisma } from './generated/prisma/client.js';
import type { Db } from './prisma-client.js';

export class AuditRepository implements AuditLog {
  constructor(private readonly db: Db) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.auditEvent.create({
      data: {
        chatId: entry.chatId,
        actor: entry.actor,
        action: entry.action,
        code: entry.code ?? null,
        ...(entry.detail ? { detail: entry.detail as Prisma.InputJsonValue } : {}),
      },
    });
  }

  async list(filter: { chatId?: bigint; action?: string; limit?: number } = {}) {
    return this.db.auditEvent.findMany({
      where: {
        ...(filter.chatId !== undefined ? { chatId: filter.chatId } : {}),
        ...(filter.action ? { action: filter.action } : {}),
      },
      orderBy: { id: 'asc' },
      take: filter.limit ?? 100,
    });
  }
}
