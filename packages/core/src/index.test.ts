import { describe, it, expect } from 'vitest';
import * as core from './index.js';

// Other modules add their own exports here too; this guards only the names
// owned by the error/chat-id/session/phone/shard modules.
const OWN_EXPORTS = [
  'AppError',
  'ChatIdSchema',
  'ERROR_CODES',
  'MAX_SHARD_COUNT',
  'PhoneSchema',
  'brazilianVariants',
  'canonicalPhone',
  'formatChatId',
  'isErrorCode',
  'isSessionIdOf',
  'jidToPhone',
  'maskPhone',
  'normalizePhone',
  'parseChatId',
  'parseSessionId',
  'sendQueueName',
  'sessionIdFor',
  'shardOf',
  'shardTag',
  'toAppError',
  'toJid',
];

describe('package entry point', () => {
  it.each(OWN_EXPORTS)('exposes %s', (name) => {
    expect(core).toHaveProperty(name);
    expect((core as Record<string, unknown>)[name]).toBeDefined();
  });

  it('does not expose hash internals', () => {
    expect(core).not.toHaveProperty('fnv1a32');
    expect(core).not.toHaveProperty('fmix32');
  });
});
