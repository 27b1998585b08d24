import { randomBytes } from 'node:crypto';

/**
 * RFC 9562 UUIDv7 (48-bit Unix ms timestamp, then random bits), for rows
 * inserted by raw SQL: Prisma's uuid(7) default only applies to its own
 * create calls and PostgreSQL 15 has no uuidv7(). Time-ordered ids make
 * "newest first" pages a plain `id <` cursor.
 */
export function uuidv7(): string {
  const b = randomBytes(16);
  b.writeUIntBE(Date.now(), 0, 6);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
