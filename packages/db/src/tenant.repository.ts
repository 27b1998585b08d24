import { AppError, sessionIdFor } from '@wa-dispatch/core';
import type { Db } from './prisma-client.js';
import type { SessionStatus, TenantStatus } from './generated/prisma/enums.js';

export interface TenantWithSession {
  chatId: bigint;
  name: string;
  status: TenantStatus;
  paused: boolean;
  createdAt: Date;
  session: {
    sessionId: string;
    status: SessionStatus;
    shard: number;
    numeroWhatsapp: string | null;
    linkedAt: Date | null;
  } | null;
}

const SESSION_SELECT = {
  sessionId: true,
  status: true,
  shard: true,
  numeroWhatsapp: true,
  linkedAt: true,
} as const;

/**
 * Tenants as the API manages them. A tenant is never created without its one
 * session row (`user_{chatId}`), so every later send has the session to point
 * at and there is never a moment where a tenant exists with no own session.
 */
export class TenantRepository {
  constructor(private readonly db: Db) {}

  /** Tenant + its unlinked session in one transaction; a duplicate is TENANT.ALREADY_EXISTS. */
  async createWithSession(input: { chatId: bigint; name: string; shard: number }): Promise<TenantWithSession> {
    const sessionId = sessionIdFor(input.chatId);
    try {
      const [tenant, session] = await this.db.$transaction([
        this.db.tenant.create({ data: { chatId: input.chatId, name: input.name } }),
        this.db.whatsappSession.create({
          data: { sessionId, chatIdUsuario: input.chatId, shard: input.shard, status: 'unlinked' },
          select: SESSION_SELECT,
        }),
      ]);
      return {
        chatId: tenant.chatId,
        name: tenant.name,
        status: tenant.status,
        paused: tenant.paused,
        createdAt: tenant.createdAt,
        session,
      };
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new AppError('TENANT.ALREADY_EXISTS', 'a tenant with this chat_id already exists', { cause: err });
      }
      throw err;
    }
  }

  async findWithSession(chatId: bigint): Promise<TenantWithSession | null> {
    const row = await this.db.tenant.findUnique({
      where: { chatId },
      select: {
        chatId: true,
        name: true,
        status: true,
        paused: true,
        createdAt: true,
        // one row at most: whatsapp_sessions.chat_id_usuario is UNIQUE
        sessions: { select: SESSION_SELECT, take: 1 },
      },
    });
    if (!row) return null;
    const { sessions, ...tenant } = row;
    return { ...tenant, session: sessions[0] ?? null };
  }

  async exists(chatId: bigint): Promise<boolean> {
    const row = await this.db.tenant.findUnique({ where: { chatId }, select: { chatId: true } });
    return row !== null;
  }
}

/** Prisma's P2002, whichever way the driver adapter surfaces it. */
function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}
