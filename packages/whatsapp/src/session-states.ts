import { AppError, sessionIdFor, toJid, type SendRequest, type TransportSessionState, type TransportStateInfo } from '@wa-dispatch/core';

/**
 * What every transport reports for the same WhatsApp outcome, so the
 * dispatcher sees one vocabulary whichever transport runs.
 */
export const LOGGED_OUT: TransportStateInfo = { code: '401', message: 'logged out from the phone' };
export const BANNED: TransportStateInfo = { code: '403', message: 'number banned by WhatsApp' };
export const REPLACED: TransportStateInfo = { code: '440', message: 'session replaced by another connection' };
export const QR_EXPIRED: TransportStateInfo = { code: 'QR_EXPIRED', message: 'no QR was scanned in time' };

/** The error a send gets while the session is in `state` (anything but `connected`). */
export function stateError(state: TransportSessionState): AppError {
  switch (state) {
    case 'logged_out':
      return new AppError('SESSION.LOGGED_OUT', 'session was logged out');
    case 'banned':
      return new AppError('SESSION.BANNED', 'session number is banned');
    case 'pending_qr':
    case 'qr_expired':
      return new AppError('SESSION.NOT_LINKED', 'session is not linked');
    default:
      return new AppError('TRANSPORT.DISCONNECTED', `session is ${state}`, { retryable: true });
  }
}

/** A session id is only ever `user_{ownerChatId}`: one tenant can never open another's session. */
export function ownedBy(sessionId: unknown, ownerChatId: unknown): boolean {
  if (typeof sessionId !== 'string' || typeof ownerChatId !== 'bigint') return false;
  try {
    return sessionIdFor(ownerChatId) === sessionId;
  } catch {
    return false;
  }
}

/** The checks every transport makes before a send reaches WhatsApp; `to` is passed in already read. */
export function checkSendRequest(to: string, request: SendRequest): void {
  toJid(to); // PHONE.INVALID unless E.164 digits
  if (typeof request.text !== 'string') throw new AppError('VALIDATION.INVALID_PARAM', 'text must be a string');
  if (typeof request.clientMessageId !== 'string' || request.clientMessageId === '') {
    throw new AppError('VALIDATION.INVALID_PARAM', 'clientMessageId is required');
  }
}
