import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook, verifyWebhook } from './webhook-signature.js';
import { createHmac } from 'node:crypto';

const secret = 'whsec_test';
const body = '{"id":"1","type":"message.status"}';
const t = 1_800_000_000;

describe('signWebhook / verifyWebhook', () => {
  it('signs HMAC-SHA256 over `${t}.${body}`', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signWebhook(secret, t, body)).toBe(`t=${t},v1=${expected}`);
    expect(signWebhook(secret, t, Buffer.from(body))).toBe(signWebhook(secret, t, body));
  });

  it('accepts a fresh, untampered body', () => {
    const header = signWebhook(secret, t, body);
    expect(verifyWebhook({ secret, header, rawBody: body, nowSec: t + 10 })).toEqual({ ok: true, timestampSec: t });
    expect(verifyWebhook({ secret, header: [header], rawBody: Buffer.from(body), nowSec: t - 10 }).ok).toBe(true);
  });

  it.each([
    ['tampered body', { rawBody: body.replace('1', '2') }, 'mismatch'],
    ['wrong secret', { secret: 'other' }, 'mismatch'],
    ['older than 5 minutes', { nowSec: t + 301 }, 'stale'],
    ['too far in the future', { nowSec: t - 301 }, 'stale'],
    ['custom tolerance', { nowSec: t + 61, toleranceSec: 60 }, 'stale'],
  ] as const)('rejects: %s', (_name, override, reason) => {
    const header = signWebhook(secret, t, body);
    expect(verifyWebhook({ secret, header, rawBody: body, nowSec: t, ...override })).toEqual({ ok: false, reason });
  });

  it('accepts exactly at the tolerance edge', () => {
    const header = signWebhook(secret, t, body);
    expect(verifyWebhook({ secret, header, rawBody: body, nowSec: t + 300 }).ok).toBe(true);
  });

  it('a changed timestamp breaks the signature', () => {
    const header = signWebhook(secret, t, body).replace(`t=${t}`, `t=${t + 1}`);
    expect(verifyWebhook({ secret, header, rawBody: body, nowSec: t })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it.each([undefined, null, '', 'garbage', `t=${t}`, 'v1=' + 'a'.repeat(64), `t=abc,v1=${'a'.repeat(64)}`, `t=${t},v1=xyz`, `t=${t},t=${t},v1=${'a'.repeat(64)}`])(
    'malformed header %s',
    (header) => {
      expect(verifyWebhook({ secret, header, rawBody: body, nowSec: t })).toEqual({ ok: false, reason: 'malformed' });
    },
  );

  it('accepts any matching v1 (secret rotation) and ignores unknown schemes', () => {
    const good = signWebhook(secret, t, body).split(',')[1];
    const header = `t=${t},v0=zz,v1=${'0'.repeat(64)},${good}`;
    expect(verifyWebhook({ secret, header, rawBody: body, nowSec: t }).ok).toBe(true);
  });

  it('generates distinct secrets', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });
});
