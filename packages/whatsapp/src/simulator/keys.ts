/**
 * Redis layout of the WhatsApp simulator. It models an external system, so it
 * has its own connection and its own prefix `P` (option `prefix`, default
 * `wad-sim`), separate from the dispatcher's: flushing the dispatcher's keys
 * must not change what "WhatsApp" remembers. Every key starts with `P:{sim}:`;
 * the `{sim}` hash tag puts all of them in one Cluster slot, so the Lua
 * scripts (which also build a few keys from `P:{sim}:` themselves, e.g. the
 * number and QR keys of a session) stay valid on a Cluster.
 *
 *   P:{sim}:session:<sid>   HASH  the phone side of one session:
 *                                 status      linked | logged_out | banned (absent = never linked)
 *                                 number      E.164 digits of the linked number
 *                                 canonical   canonicalPhone(number) (Brazilian 9th-digit form)
 *                                 socket      id of the transport socket that holds the link
 *                                             (last claim wins; others are `replaced`)
 *                                 qr, qrExpiresAt   the QR currently shown for it, if any
 *                                 linkedAt, loggedOutAt, bannedAt   ms timestamps
 *   P:{sim}:number:<canon>  STRING  sid the number is linked to (linked or banned sessions)
 *   P:{sim}:qr:<value>      STRING  sid a displayed QR belongs to; PX = rotation period
 *   P:{sim}:pair:<code>     STRING  JSON {sessionId, number} of a pairing code handed out
 *                                 (requestPairingCode); `pair(code)` consumes it; PX 60 s
 *   P:{sim}:faults:<sid>    HASH  injected send fault: kind, remaining (-1 = unlimited),
 *                                 untilMs (0 = none; the fault lapses then), retryAfterMs
 *   P:{sim}:msgs:<sid>      HASH  clientMessageId -> waMessageId (dedupe and wasSent)
 *   P:{sim}:contacts:<sid>  SET   canonical recipients the session has sent to (first-contact test)
 *   P:{sim}:inbox:<sid>     LIST  JSON inbound messages not yet handed to an open session
 *   P:{sim}:sent            LIST  JSON SimulatedSend records, in `seq` order
 *   P:{sim}:seq             STRING  counter behind `seq`
 *   P:{sim}:dups            HASH  sid -> number of duplicate sends (same clientMessageId)
 *
 * Pub/sub (channels are not keys but carry the prefix too):
 *   P:{sim}:ev:<sid>        JSON events for one session: {type: 'linked', number} |
 *                           {type: 'logged_out'} | {type: 'banned'} | {type: 'disconnected'} |
 *                           {type: 'claimed', socket} | {type: 'inbound'} |
 *                           {type: 'receipt', waMessageId, status}
 * State is always written before its event is published, so a session opened
 * later reads it from the hash instead of the channel.
 */
import { AppError } from '@wa-dispatch/core';

export const DEFAULT_SIMULATOR_PREFIX = 'wad-sim';

export interface SimulatorKeys {
  /** `P:{sim}:`, the start of every key and channel; Lua scripts build keys from it. */
  readonly base: string;
  /** SCAN pattern matching every simulator key (glob characters of the prefix escaped). */
  readonly pattern: string;
  session(sessionId: string): string;
  number(canonicalNumber: string): string;
  qr(value: string): string;
  pairing(code: string): string;
  faults(sessionId: string): string;
  msgs(sessionId: string): string;
  contacts(sessionId: string): string;
  inbox(sessionId: string): string;
  readonly sent: string;
  readonly seq: string;
  readonly dups: string;
  channel(sessionId: string): string;
}

export function simulatorKeys(prefix: string = DEFAULT_SIMULATOR_PREFIX): SimulatorKeys {
  if (typeof prefix !== 'string' || prefix === '' || /\s/.test(prefix)) {
    throw new AppError('CONFIG.INVALID', 'simulator prefix must be a non-empty string without spaces');
  }
  const base = `${prefix}:{sim}:`;
  return {
    base,
    pattern: `${base.replace(/[*?[\]\\]/g, '\\$&')}*`,
    session: (sid) => `${base}session:${sid}`,
    number: (canon) => `${base}number:${canon}`,
    qr: (value) => `${base}qr:${value}`,
    pairing: (code) => `${base}pair:${code}`,
    faults: (sid) => `${base}faults:${sid}`,
    msgs: (sid) => `${base}msgs:${sid}`,
    contacts: (sid) => `${base}contacts:${sid}`,
    inbox: (sid) => `${base}inbox:${sid}`,
    sent: `${base}sent`,
    seq: `${base}seq`,
    dups: `${base}dups`,
    channel: (sid) => `${base}ev:${sid}`,
  };
}
