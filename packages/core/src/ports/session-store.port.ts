import type { TransportSessionState } from './transport.port.js';

export type SessionStatus = 'unlinked' | TransportSessionState;

export interface SessionRecord {
  sessionId: string;
  chatIdUsuario: bigint;
  numeroWhatsapp: string | null;
  status: SessionStatus;
  shard: number;
  epoch: bigint;
}

export interface SessionStore {
  findById(sessionId: string): Promise<SessionRecord | null>;
}
