import { describe, expect, it } from 'vitest';
import { AppError } from '../app-error.js';
import { decideFiring, idempotencyKeyFor, type FiringInput } from './schedule-firing.js';

const ID = '0192a3b4-c5d6-7e8f-9a0b-1c2d3e4f5a6b';

describe('idempotencyKeyFor', () => {
  it('is schedule:{id}:{ISO ms} and stable for the same fire time', () => {
    const t = new Date('2026-12-03T12:00:00.000Z');
    expect(idempotencyKeyFor(ID, t)).toBe(`schedule:${ID}:2026-12-03T12:00:00.000Z`);
    expect(idempotencyKeyFor(ID, new Date(t.getTime()))).toBe(idempotencyKeyFor(ID, t));
    expect(idempotencyKeyFor(ID, new Date(t.getTime() + 1))).not.toBe(idempotencyKeyFor(ID, t));
    expect(idempotencyKeyFor(ID, t).length).toBeLessThanOrEqual(255);
  });
  it('rejects an invalid date', () => {
    expect(() => idempotencyKeyFor(ID, new Date(NaN))).toThrow(AppError);
  });
});

describe('decideFiring', () => {
  const now = new Date('2026-06-10T15:00:00Z'); // 12:00 in Sao Paulo
  const ok = (): FiringInput => ({
    schedule: { active: true, startAt: null, endAt: null, quiet: null },
    tenant: { paused: false, status: 'active' },
    session: { status: 'connected' },
    automaticPaused: false,
    now,
  });

  it('sends when everything allows it', () => {
    expect(decideFiring(ok())).toEqual({ action: 'send' });
    expect(decideFiring({ ...ok(), session: { status: 'disconnected' } })).toEqual({ action: 'send' });
  });
  it('skips an inactive schedule', () => {
    const i = ok();
    i.schedule.active = false;
    expect(decideFiring(i)).toEqual({ action: 'skip', reason: 'inactive' });
  });
  it('skips before startAt and at/after endAt', () => {
    const before = ok();
    before.schedule.startAt = new Date(now.getTime() + 1);
    expect(decideFiring(before)).toEqual({ action: 'skip', reason: 'outside_window' });
    const after = ok();
    after.schedule.endAt = now;
    expect(decideFiring(after)).toEqual({ action: 'skip', reason: 'outside_window' });
    const inside = ok();
    inside.schedule.startAt = new Date(now.getTime() - 1);
    inside.schedule.endAt = new Date(now.getTime() + 1);
    expect(decideFiring(inside)).toEqual({ action: 'send' });
  });
  it('skips a disabled tenant', () => {
    expect(decideFiring({ ...ok(), tenant: { paused: false, status: 'disabled' } })).toEqual({
      action: 'skip',
      reason: 'tenant_disabled',
    });
  });
  it('skips a paused tenant', () => {
    expect(decideFiring({ ...ok(), tenant: { paused: true, status: 'active' } })).toEqual({
      action: 'skip',
      reason: 'tenant_paused',
    });
  });
  it('skips while automatic sends are stopped', () => {
    expect(decideFiring({ ...ok(), automaticPaused: true })).toEqual({ action: 'skip', reason: 'automatic_paused' });
  });
  it.each([null, { status: 'unlinked' }, { status: 'pending_qr' }, { status: 'logged_out' }, { status: 'banned' }])(
    'skips when the session is not linked (%o) — never another session',
    (session) => {
      expect(decideFiring({ ...ok(), session })).toEqual({ action: 'skip', reason: 'session_not_linked' });
    },
  );
  it('holds in quiet hours until the window ends, sends outside it', () => {
    const night = { ...ok(), now: new Date('2026-06-10T02:00:00Z') }; // 23:00 Sao Paulo
    night.schedule.quiet = { timezone: 'America/Sao_Paulo', startMin: 22 * 60, endMin: 7 * 60 };
    expect(decideFiring(night)).toEqual({
      action: 'hold',
      untilMs: Date.parse('2026-06-10T10:00:00Z'),
      reason: 'quiet_hours',
    });
    const day = ok();
    day.schedule.quiet = { timezone: 'America/Sao_Paulo', startMin: 22 * 60, endMin: 7 * 60 };
    expect(decideFiring(day)).toEqual({ action: 'send' });
  });
  it('a skip wins over a hold (paused in quiet hours is recorded as skipped)', () => {
    const i = { ...ok(), now: new Date('2026-06-10T02:00:00Z'), tenant: { paused: true, status: 'active' } };
    i.schedule.quiet = { timezone: 'America/Sao_Paulo', startMin: 22 * 60, endMin: 7 * 60 };
    expect(decideFiring(i)).toEqual({ action: 'skip', reason: 'tenant_paused' });
  });
});
