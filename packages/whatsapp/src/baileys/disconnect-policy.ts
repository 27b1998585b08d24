/** What the session does after its socket closed. */
export type CloseOutcome = 'logged_out' | 'banned' | 'replaced' | 'restart' | 'qr_expired' | 'retry';

/**
 * The reconnect policy, by the statusCode Baileys closed with.
 * `qrRanOut` is asked only for a 408, the one code whose meaning depends on it.
 */
export function closeOutcome(code: number | undefined, qrRanOut: () => boolean): CloseOutcome {
  switch (code) {
    case 401: // loggedOut: the phone removed this device
      return 'logged_out';
    case 403: // forbidden: banned
      return 'banned';
    case 440: // connectionReplaced: another client took the session; never fight it
      return 'replaced';
    case 515: // restartRequired (e.g. right after pairing): a new socket, at once
      return 'restart';
    case 408:
      // timedOut with no linked creds after showing QRs: the refs ran out and
      // nobody scanned. Without any QR shown it is a plain network timeout.
      return qrRanOut() ? 'qr_expired' : 'retry';
    default:
      return 'retry';
  }
}
