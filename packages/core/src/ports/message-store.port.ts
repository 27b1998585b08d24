import type { MessageStatus } from '../dispatch/message-status.js';

/** The outbox row as the dispatcher needs it. */
export interface OutboxMessage {
  id: string;
  chatId: bigint;
  sessionId: string;
  toPhone: string;
  text: string;
  status: MessageStatus;
  attempts: number;
  waMessageId: string | null;
  createdAt: Date;
  /** 'schedule' for reminder sends (the automatic switch holds those); absent = api. */
  source?: 'api' | 'schedule';
}

export interface TransitionPatch {
  waMessageId?: string;
  errorCode?: string | null;
  errorMessage?: string | null;
  /** Count this transition as a send attempt. */
  countAttempt?: boolean;
}

/**
 * Every status change is a compare-and-set on the current status, so two
 * processes racing on one message cannot both move it (and so cannot both
 * send it). Each successful transition also appends a status event.
 */
export interface MessageStore {
  findById(id: string): Promise<OutboxMessage | null>;
  transition(id: string, from: readonly MessageStatus[], to: MessageStatus, patch?: TransitionPatch): Promise<boolean>;
}
