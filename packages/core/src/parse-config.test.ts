import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from './app-error.js';
import { parseConfig } from './parse-config.js';

const Schema = z.object({ PORT: z.coerce.number().int().min(1), NAME: z.string().min(1) });

describe('parseConfig', () => {
  it('returns parsed values', () => {
    expect(parseConfig(Schema, { PORT: '8080', NAME: 'x' })).toEqual({ PORT: 8080, NAME: 'x' });
  });

  it('names every bad variable', () => {
    try {
      parseConfig(Schema, { PORT: 'abc' });
      expect.unreachable();
    } catch (e) {
      expect(AppError.is(e) && e.code).toBe('CONFIG.INVALID');
      expect((e as Error).message).toContain('PORT');
      expect((e as Error).message).toContain('NAME');
      expect((e as AppError).details.variables).toEqual(['PORT', 'NAME']);
    }
  });
});
