/**
 * Encryption at rest of webhook signing secrets (`webhooks.secret_encrypted`).
 * The dispatcher must sign with the secret, so it cannot be hashed; it is
 * sealed with AES-256-GCM under a deployment key (`WEBHOOK_SECRET_KEY`) that
 * lives only in the API's and workers' environment, never in the database.
 *
 * Format: `v1:<iv>:<tag>:<ciphertext>`, each base64url; a random 96-bit IV per
 * seal. The owning tenant's chat id is bound in as additional authenticated
 * data, so a sealed secret copied onto another tenant's row does not open
 * (defence in depth for tenant isolation), and any tampering fails the tag.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from '@wa-dispatch/core';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * DEVELOPMENT ONLY. Anyone with a database dump and this (public) key can
 * recover every tenant's signing secret: deployments must set their own
 * WEBHOOK_SECRET_KEY (the apps log a warning when this one is in use).
 */
export const DEV_WEBHOOK_SECRET_KEY = createHash('sha256').update('wa-dispatch/webhook-secret-key/dev-only').digest('base64url');

/**
 * Parses `WEBHOOK_SECRET_KEY`: exactly 32 bytes, written as 64 hex digits or
 * as base64/base64url (43-44 characters). Anything else is CONFIG.INVALID.
 */
export function parseSecretKey(raw: string): Buffer {
  const text = raw.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(text)) key = Buffer.from(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
  if (key === undefined || key.length !== KEY_BYTES) {
    throw new AppError('CONFIG.INVALID', 'WEBHOOK_SECRET_KEY must be 32 bytes: 64 hex digits or 43-44 base64 characters', {
      details: { variable: 'WEBHOOK_SECRET_KEY' },
    });
  }
  return key;
}

/** Whether `raw` is a usable WEBHOOK_SECRET_KEY (for env validation). */
export function isSecretKey(raw: string): boolean {
  try {
    parseSecretKey(raw);
    return true;
  } catch {
    return false;
  }
}

/** Binds a sealed secret to its owner; part of the format, so never change it for v1. */
function aadFor(chatId: bigint): Buffer {
  return Buffer.from(`wa-dispatch/webhook-secret/${chatId.toString()}`, 'utf8');
}

export class SecretBox {
  private readonly key: Buffer;

  /** `key`: the 32 raw bytes, or the `WEBHOOK_SECRET_KEY` text form. */
  constructor(key: Buffer | string) {
    this.key = typeof key === 'string' ? parseSecretKey(key) : Buffer.from(key);
    if (this.key.length !== KEY_BYTES) throw new AppError('CONFIG.INVALID', 'webhook secret key must be 32 bytes');
  }

  /** Whether this box uses the public development key (the apps warn about it). */
  get isDevelopmentKey(): boolean {
    return this.key.equals(parseSecretKey(DEV_WEBHOOK_SECRET_KEY));
  }

  seal(secret: string, chatId: bigint): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadFor(chatId));
    const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(':');
  }

  /**
   * Opens a sealed secret of `chatId`. Throws (never returns garbage) when the
   * text is malformed, was tampered with, belongs to another tenant or was
   * sealed under another key. The error never contains the sealed text.
   */
  open(sealed: string, chatId: bigint): string {
    const parts = sealed.split(':');
    const [version, ivText, tagText, ctText] = parts;
    if (parts.length !== 4 || version !== VERSION || !ivText || !tagText || !ctText || ![ivText, tagText, ctText].every((p) => B64URL.test(p))) {
      throw new AppError('CONFIG.INVALID', 'sealed webhook secret has an unknown format');
    }
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new AppError('CONFIG.INVALID', 'sealed webhook secret has an unknown format');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadFor(chatId));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new AppError('CONFIG.INVALID', 'webhook secret does not open with WEBHOOK_SECRET_KEY (wrong key, wrong tenant or tampered)', {
        cause: err,
      });
    }
  }
}
