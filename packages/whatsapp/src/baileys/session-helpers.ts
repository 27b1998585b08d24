import { jidNormalizedUser, type UserFacingSocketConfig } from '@whiskeysockets/baileys';
import { AppError, jidToPhone } from '@wa-dispatch/core';
import type { SessionAuthState, BaileysLogger } from './auth-state.js';
import { disconnectCode } from './mapping.js';
import type { Settings } from './session-host.js';

/** E.164 digits of our own JID (`5511…:12@s.whatsapp.net` -> `5511…`). */
export function numberOf(jid: string | null | undefined): string | undefined {
  if (!jid) return undefined;
  try {
    return jidToPhone(jidNormalizedUser(jid));
  } catch {
    return undefined;
  }
}

/** A write the store refused because a newer holder owns the auth state. */
export function isStale(e: unknown): boolean {
  return AppError.is(e) && e.code === 'SHARD.STALE_EPOCH';
}

/** Rejects after `ms`; the timer never keeps the process alive. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Log-safe: codes and class names only (Baileys messages can carry JIDs). */
export function describe(e: unknown): string {
  if (AppError.is(e)) return e.code;
  const code = disconnectCode(e);
  if (code !== undefined) return `${e instanceof Error ? e.name : 'error'}(${code})`;
  return e instanceof Error ? e.name : 'unknown error';
}

/** `auth`, `logger` and the two flags always win over the caller's socketConfig. */
export function socketConfigFor(settings: Settings, auth: SessionAuthState, logger: BaileysLogger): UserFacingSocketConfig {
  const { socketConfig, qrTimeoutMs } = settings;
  return {
    ...socketConfig,
    ...(qrTimeoutMs !== undefined ? { qrTimeout: qrTimeoutMs } : {}),
    auth: auth.state,
    logger,
    syncFullHistory: false,
    markOnlineOnConnect: false,
  };
}
