import type { UserFacingSocketConfig } from '@whiskeysockets/baileys';
import type { Clock } from '@wa-dispatch/core';
import type { AuthStateStore } from './auth-state.port.js';
import type { BaileysLogger } from './auth-state.js';
import type { BaileysSession } from './baileys-session.js';
import type { ConnectLimiter } from './connect-limiter.js';
import type { BackoffOptions, QuarantineOptions } from './reconnect-policy.js';
import type { MakeBaileysSocket } from './socket.js';
import type { BaileysTransportLogger, TimerApi } from './transport-options.js';

/** Options resolved and validated once by the transport. */
export interface Settings {
  connectSlotTimeoutMs: number;
  qrTimeoutMs: number | undefined;
  rateLimitRetryMs: number;
  backoff: BackoffOptions;
  quarantine: QuarantineOptions;
  socketConfig: Omit<Partial<UserFacingSocketConfig>, 'auth' | 'logger'>;
}

/** What a session shares with its transport (and every other session of it). */
export interface SessionHost {
  readonly authStore: AuthStateStore;
  readonly makeSocket: MakeBaileysSocket;
  readonly limiter: ConnectLimiter;
  readonly log: BaileysTransportLogger;
  readonly baileysLogger: BaileysLogger;
  readonly settings: Settings;
  readonly clock: Clock;
  readonly random: () => number;
  readonly timers: TimerApi;
  detach(session: BaileysSession): void;
}
