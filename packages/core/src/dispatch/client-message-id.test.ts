import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clientMessageIdFor, messageIdFromClientId } from './client-message-id.js';

describe('client message ids', () => {
  it('round-trips an outbox id through the WhatsApp id we choose', () => {
    for (let i = 0; i < 50; i++) {
      const id = randomUUID();
      const wa = clientMessageIdFor(id);
      expect(wa).toMatch(/^WAD[0-9A-F]{32}$/);
      expect(messageIdFromClientId(wa)).toBe(id);
    }
  });

  it('names no outbox row for ids WhatsApp or a phone chose', () => {
    for (const wa of ['3EB0C767D71D4A1F9B2C', 'BAE5F2D1A0C3', 'WAD123', `WAD${'G'.repeat(32)}`, `wad${'a'.repeat(32)}`, `WAD${'A'.repeat(33)}`, '']) {
      expect(messageIdFromClientId(wa)).toBeNull();
    }
  });
});
