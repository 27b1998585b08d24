import { describe, it, expect } from 'vitest';
import { AppError, toAppError } from './app-error.js';

describe('AppError', () => {
  it('carries code, message and defaults', () => {
    const e = new AppError('TENANT.NOT_FOUND', 'no such tenant');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('AppError');
    expect(e.code).toBe('TENANT.NOT_FOUND');
    expect(e.message).toBe('no such tenant');
    expect(e.retryable).toBe(false);
    expect(e.details).toEqual({});
    expect(e.cause).toBeUndefined();
    expect('cause' in e).toBe(false);
    expect(e.stack).toContain('no such tenant');
  });

  it('keeps retryable, cause and details', () => {
    const cause = new Error('socket closed');
    const e = new AppError('TRANSPORT.DISCONNECTED', 'lost connection', {
      retryable: true,
      cause,
      details: { shard: 3 },
    });
    expect(e.retryable).toBe(true);
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ shard: 3 });
  });

  it('keeps a falsy non-undefined cause', () => {
    expect(new AppError('INTERNAL', 'x', { cause: 0 }).cause).toBe(0);
  });

  it('does not share or expose a mutable details object', () => {
    const details: Record<string, unknown> = { a: 1 };
    const e = new AppError('JOB.INVALID', 'bad job', { details });
    details.a = 2;
    expect(e.details).toEqual({ a: 1 });
    expect(Object.isFrozen(e.details)).toBe(true);
  });

  it('rejects unknown codes at compile time', () => {
    // @ts-expect-error not an ErrorCode
    const e = new AppError('NOT.A.CODE', 'x');
    expect(e.code).toBe('NOT.A.CODE');
  });

  describe('is', () => {
    it('recognises AppErrors', () => {
      expect(AppError.is(new AppError('INTERNAL', 'x'))).toBe(true);
    });

    it.each([
      ['plain Error', new Error('x')],
      ['look-alike object', { name: 'AppError', code: 'INTERNAL', message: 'x' }],
      ['string', 'AppError'],
      ['null', null],
      ['undefined', undefined],
    ])('rejects %s', (_label, value) => {
      expect(AppError.is(value)).toBe(false);
    });

    it('recognises an AppError from another copy of the module via the global brand', () => {
      const foreign = Object.assign(new Error('x'), { code: 'INTERNAL' });
      Object.defineProperty(foreign, Symbol.for('wa-dispatch.AppError'), { value: true });
      expect(foreign instanceof AppError).toBe(false);
      expect(AppError.is(foreign)).toBe(true);
    });
  });
});

describe('toAppError', () => {
  it('returns AppErrors unchanged', () => {
    const e = new AppError('RATE.LIMITED', 'slow down', { retryable: true });
    expect(toAppError(e)).toBe(e);
  });

  it('wraps Errors as INTERNAL keeping the cause', () => {
    const cause = new TypeError('boom');
    const e = toAppError(cause);
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toBe('boom');
    expect(e.retryable).toBe(false);
    expect(e.cause).toBe(cause);
  });

  it.each([['a string', 'oops'], ['an object', { x: 1 }], ['undefined', undefined], ['an empty Error', new Error('')]])(
    'wraps %s as INTERNAL',
    (_label, value) => {
      const e = toAppError(value);
      expect(e.code).toBe('INTERNAL');
      expect(e.message).toBe('Internal error');
      expect(e.cause).toBe(value);
    },
  );
});
