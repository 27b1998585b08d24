import type { UserFacingSocketConfig } from '@whiskeysockets/baileys';
import type { Clock } from '@wa-dispatch/core';
import type { AuthStateStore } from './auth-state.port.js';
import type { BaileysLogger } from './auth-state.js';
import type { MakeBaileysSocket } from './socket.js';
import type { BackoffOptions, QuarantineOptions } from './reconnect-policy.js';

/** pino-compatible. The adapter never logs message text or full phone numbers. */
export interface BaileysTransportLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface TimerApi {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface BaileysTransportOptions {
  /** Postgres in production: `new AuthStateRepository(db)` from `@wa-dispatch/db`. */
  authStore: AuthStateStore;
  /** Socket factory; default Baileys' `makeWASocket`. */
  makeSocket?: MakeBaileysSocket;
  /**
   * Extra `makeWASocket` options (`version`, `browser`, `waWebSocketUrl`,
   * `connectTimeoutMs`, ...). `auth`, `logger`, `syncFullHistory: false` and
   * `markOnlineOnConnect: false` are always set by the adapter.
   */
  socketConfig?: Omit<Partial<UserFacingSocketConfig>, 'auth' | 'logger'>;
  /** The adapter's own logs (default silent). */
  logger?: BaileysTransportLogger;
  /**
   * Baileys' internal logger (default pino at level `silent`). Baileys logs JIDs,
   * i.e. full phone numbers, even at `warn`: keep it silent in production.
   */
  baileysLogger?: BaileysLogger;
  /** Sessions of this transport connecting at once (default 5). */
  maxConcurrentConnects?: number;
  /** Longest a connect holds its slot before the next session may start (default 30 s). */
  connectSlotTimeoutMs?: number;
  /** Reconnect backoff (default 1 s doubling to 60 s, equal jitter). */
  backoff?: BackoffOptions;
  /** Quarantine after more than 10 failures within 10 min without an open (default). */
  quarantine?: QuarantineOptions;
  /**
   * QR lifetime. Unset: Baileys' own, 60 s for a socket's first QR and 20 s for
   * each next one (WhatsApp sends a handful of refs per socket), and that is
   * what `expiresAt` reports. Set: passed to Baileys as `qrTimeout` for every QR.
   */
  qrTimeoutMs?: number;
  /** retryAfterMs suggested on a 429 rate-overlimit (default 60 s; WhatsApp gives none). */
  rateLimitRetryMs?: number;
  /** Time for QR expiry and the quarantine window (default system clock). */
  clock?: Clock;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Timers for backoff and slot holds (default unref'd global timers). */
  timers?: TimerApi;
}
