import type { Redis } from 'ioredis';
import type { SimulatorControl } from './control.js';
import type { SimulatorKeys } from './keys.js';
import type { SimulatorSession } from './simulator-session.js';
import type { SimulatorLogger } from './transport.js';

/** Options resolved and validated once by the transport. */
export interface Settings {
  qrRotateMs: number;
  qrMaxAttempts: number;
  ackDelayMs: number;
  autoRead: boolean;
  readDelayMs: number;
  reconnectDelayMs: number;
}

/** What a session shares with its transport: one Redis connection for all sessions. */
export interface SessionHost {
  readonly redis: Redis;
  readonly keys: SimulatorKeys;
  readonly control: SimulatorControl;
  readonly settings: Settings;
  readonly log: SimulatorLogger;
  readonly instanceId: string;
  detach(session: SimulatorSession): Promise<void>;
}
