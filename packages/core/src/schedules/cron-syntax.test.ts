import { describe, expect, it } from 'vitest';
import { isValidCron } from './cron-syntax.js';

describe('isValidCron', () => {
  it.each([
    '* * * * *',
    '*/1 * * * * *',
    '0 9 * * 1-5',
    '30 8 1,15 * *',
    '0 0 9 ? * MON-FRI',
    '0 12 * jan,jul sun',
    '0-30/5 * * * *',
    '5/10 * * * *',
    '0 0 * * 7',
  ])('accepts %s', (expr) => expect(isValidCron(expr)).toBe(true));

  it.each([
    '',
    'garbage',
    '* * * *',
    '* * * * * * *',
    '60 * * * *',
    '* 24 * * *',
    '* * 0 * *',
    '* * * 13 *',
    '* * * * 8',
    '*/0 * * * *',
    '5-1 * * * *',
    '1-2-3 * * * *',
    '*/5/2 * * * *',
    '? * * * *',
    '* * * * * ; rm -rf',
    'a'.repeat(121),
  ])('rejects %s', (expr) => expect(isValidCron(expr)).toBe(false));
});
