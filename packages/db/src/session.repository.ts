import type { SessionRecord, SessionStatus, SessionStore } from '@wa-dispatch/core';
import { Prisma } from './generated/prisma/client.js';
import type { Db } from './prisma-client.js';
import type { SqlPools } from './sql-pool.js';

interface RawSession {
  session_id: string;
  chat_id_usuario: bigint;
  numero_whatsapp: string | null;
  status: SessionStatus;
  shard: number;
  epoch: bigint;
}

/** A session as the API shows it (GET /v1/tenants/{chatId}/session). */
export interface SessionView extends SessionRecord {
  lastError: string | null;
  linkedAt: Date | null;
}

const SELECT = {
  sessionId: true,
  chatIdUsuario: true,
  numeroWhatsapp: true,
  status: true,
  shard: true,
  epoch: true,
} as const;

/** Session rows as workers see them: lookups by id and by shard, status writes. */
export class SessionRepository implements SessionStore {
  /** `sql`: the worker's hot-path pools (see sql-pool.ts); lookups then skip Prisma. */
  constructor(
    private readonly db: Db,
    private readonly sql?: SqlPools,
  ) {}

  async findById(sessionId: string): Promise<SessionRecord | null> {
    if (this.sql) {
      const { rows } = await this.sql.strict.query<RawSession>({
        name: 'wad_find_session',
        text: `SELECT session_id, chat_id_usuario, numero_whatsapp, status::text AS status, shard, epoch
               FROM whatsapp_sessions WHERE session_id = $1`,
        values: [sessionId],
      });
      const r = rows[0];
      return r
        ? { sessionId: r.session_id, chatIdUsuario: r.chat_id_usuario, numeroWhatsapp: r.numero_whatsapp, status: r.status, shard: r.shard, epoch: r.epoch }
        : null;
    }
    return this.db.whatsappSession.findUnique({ where: { sessionId }, select: SELECT });
  }

  async findView(sessionId: string): Promise<SessionView | null> {
    return this.db.whatsappSession.findUnique({
      where: { sessionId },
      select: { ...SELECT, lastError: true, linkedAt: true },
    });
  }

  /**
   * Logout requested by the tenant (API/CLI): the row becomes `logged_out`,
   * its number is released and its auth state (creds and signal keys) wiped,
   * in one transaction. The worker holding the shard is then nudged to log the
   * live socket out on WhatsApp's side. Returns false when there is no such row.
   */
  async logoutAndWipe(sessionId: string): Promise<boolean> {
    return this.db.$transaction(async (tx) => {
      const res = await tx.whatsappSession.updateMany({
        where: { sessionId },
        data: { status: 'logged_out', numeroWhatsapp: null, creds: Prisma.DbNull, lastError: null, linkedAt: null },
      });
      if (res.count !== 1) return false;
      await tx.whatsappAuthKey.deleteMany({ where: { sessionId } });
      return true;
    });
  }

  async listByShard(shard: number, statuses?: readonly SessionStatus[]): Promise<SessionRecord[]> {
    return this.db.whatsappSession.findMany({
      where: { shard, ...(statuses ? { status: { in: [...statuses] } } : {}) },
      select: SELECT,
      orderBy: { sessionId: 'asc' },
    });
  }

  /**
   * Marks a session as wanting a live link (a scan happened or is about to),
   * so the worker leasing its shard opens it. Live or final states are left alone.
   */
  async requestOpen(sessionId: string, status: 'connecting' | 'pending_qr' = 'connecting'): Promise<boolean> {
    const res = await this.db.whatsappSession.updateMany({
      where: { sessionId, status: { in: ['unlinked', 'logged_out', 'qr_expired', 'pending_qr', 'replaced'] } },
      data: { status, lastError: null },
    });
    return res.count === 1;
  }

  /**
   * Status writes from a worker are fenced: a row already written under a
   * newer lease epoch is left alone, so a worker that lost its shard cannot
   * overwrite what the new holder recorded.
   */
  async updateStatus(
    sessionId: string,
    epoch: bigint,
    status: SessionStatus,
    extra: { numeroWhatsapp?: string | null; lastError?: string | null } = {},
  ): Promise<boolean> {
    const setNumber = extra.numeroWhatsapp !== undefined;
    const number = extra.numeroWhatsapp ?? null;
    const setError = extra.lastError !== undefined;
    // linked_at is when this number was linked, not when the socket last came up:
    // pacing's warm-up counts days from it, so a reconnect or a worker restart
    // must not put a long-linked number back on day 0. It is set on the first
    // `connected` of a link (cleared by logout) or when the number changes.
    const count = await this.db.$executeRaw`
      UPDATE whatsapp_sessions SET
        status = ${status}::session_status,
        epoch = ${epoch},
        linked_at = CASE
          WHEN ${status}::text = 'connected'
           AND (linked_at IS NULL OR (${setNumber}::boolean AND numero_whatsapp IS DISTINCT FROM ${number}::varchar))
          THEN now() ELSE linked_at END,
        numero_whatsapp = CASE WHEN ${setNumber}::boolean THEN ${number}::varchar ELSE numero_whatsapp END,
        last_error = CASE WHEN ${setError}::boolean THEN ${extra.lastError?.slice(0, 500) ?? null}::varchar ELSE last_error END,
        updated_at = now()
      WHERE session_id = ${sessionId} AND epoch <= ${epoch}`;
    return count === 1;
  }
}
