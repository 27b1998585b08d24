import type { Db } from './prisma-client.js';
import type { ApiKeyScope } from './generated/prisma/enums.js';

export interface ApiKeyRecord {
  id: string;
  prefix: string;
  scope: ApiKeyScope;
  chatId: bigint | null;
  label: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const SELECT = {
  id: true,
  prefix: true,
  scope: true,
  chatId: true,
  label: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const;

/**
 * API keys are stored as the sha256 of the whole key and looked up by that
 * hash on every request (an indexed equality), so a revoke takes effect on
 * the very next request with no cache to invalidate. Plain keys never reach
 * this repository.
 */
export class ApiKeyRepository {
  constructor(private readonly db: Db) {}

  async create(input: {
    hash: string;
    prefix: string;
    scope: ApiKeyScope;
    chatId?: bigint | null;
    label?: string | null;
  }): Promise<ApiKeyRecord> {
    return this.db.apiKey.create({
      data: {
        hash: input.hash,
        prefix: input.prefix,
        scope: input.scope,
        chatId: input.chatId ?? null,
        label: input.label ?? null,
      },
      select: SELECT,
    });
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    return this.db.apiKey.findUnique({ where: { hash }, select: SELECT });
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    return this.db.apiKey.findUnique({ where: { id }, select: SELECT });
  }

  /**
   * Marks the key revoked; revoking twice keeps the first revocation time.
   * Returns false only when no key has this id.
   */
  async revoke(id: string): Promise<boolean> {
    const res = await this.db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    if (res.count === 1) return true;
    return (await this.db.apiKey.count({ where: { id } })) === 1;
  }

  /** Throttled in SQL: a busy key is written at most once per `minIntervalMs`. */
  async touchLastUsed(id: string, minIntervalMs = 60_000): Promise<void> {
    const cutoff = new Date(Date.now() - minIntervalMs);
    await this.db.apiKey.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: cutoff } }] },
      data: { lastUsedAt: new Date() },
    });
  }

  async listForTenant(chatId: bigint): Promise<ApiKeyRecord[]> {
    return this.db.apiKey.findMany({ where: { chatId }, select: SELECT, orderBy: { id: 'asc' } });
  }
}
