import { randomBytes } from 'node:crypto';

/** How long a pairing code may be typed (WhatsApp's own are short-lived too). */
export const PAIRING_CODE_TTL_MS = 60_000;
/** Baileys' pairing-code alphabet: no 0, O, I or U. */
const PAIRING_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';

export function newPairingCode(): string {
  let code = '';
  for (const byte of randomBytes(8)) code += PAIRING_ALPHABET[byte % PAIRING_ALPHABET.length];
  return code;
}
