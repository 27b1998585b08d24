import type { Response } from 'express';
import { AppError } from '@wa-dispatch/core';
import type { KeyScope } from './api-key-codec.js';

/** Who is calling, as resolved from the bearer key. */
export interface Principal {
  scope: KeyScope;
  /** api_keys.id, or 'env-admin' for the bootstrap ADMIN_API_KEY */
  keyId: string;
  /** set for tenant keys only: the one tenant the key may act for */
  chatId: bigint | null;
  /** as read with the key; lets the authenticator skip needless last_used_at writes */
  lastUsedAt: Date | null;
}

/** Audit/log actor string; never the key itself. */
export function actorOf(p: Principal): string {
  return `key:${p.keyId}`;
}

export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  // authenticate() runs before every route that calls this; reaching here without it is a wiring bug
  if (!p) throw new AppError('INTERNAL', 'route reached without authentication');
  return p;
}

/** The tenant of the path, set by authorize({ tenantPath: true }). */
export function pathChatIdOf(res: Response): bigint {
  const id = res.locals.chatId as bigint | undefined;
  if (id === undefined) throw new AppError('INTERNAL', 'route reached without a checked tenant path');
  return id;
}
