import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { AppError, sessionIdFor, type TransportSession } from '@wa-dispatch/core';
import { createTestRedis, type TestRedis } from '@wa-dispatch/testing';
import { SessionRecorder } from '../recorder.js';
import { SimulatorControl } from '../control.js';
import { SimulatorTransport, type SimulatorTransportOptions } from '../transport.js';

export interface SimulatorFixtureOptions {
  /** First chat id handed out; ids then move by `chatStep` (negative for group ids). */
  chatStart: bigint;
  chatStep: bigint;
  /** Prefix of fresh linked numbers, e.g. '55119' (Brazilian mobiles). */
  phonePrefix: string;
  /** Prefix of recipient numbers. */
  contactPrefix: string;
}

export interface SimulatorFixtureState {
  t: TestRedis;
  prefix: string;
  control: SimulatorControl;
  transport: SimulatorTransport;
}

/**
 * One Redis prefix per simulator test file, a default transport, and every
 * session and transport a test opens closed again afterwards.
 */
export function useSimulatorFixture(label: string, o: SimulatorFixtureOptions) {
  const state = {} as SimulatorFixtureState;
  const transports: SimulatorTransport[] = [];
  const openSessions: TransportSession[] = [];
  let nextChat = o.chatStart;
  let nextPhone = 0;

  const newChat = (): bigint => {
    const id = nextChat;
    nextChat += o.chatStep;
    return id;
  };
  const newPhone = (): string => `${o.phonePrefix}${String(80_000_000 + nextPhone++)}`;
  const contact = (i: number): string => `${o.contactPrefix}${String(100_000 + i)}`;

  function newTransport(opts: Partial<SimulatorTransportOptions> = {}): SimulatorTransport {
    const tr = new SimulatorTransport({ redis: state.t.url, prefix: state.prefix, ackDelayMs: 10, reconnectDelayMs: 20, ...opts });
    transports.push(tr);
    return tr;
  }

  async function openOn(tr: SimulatorTransport, chatId: bigint, opts: { rec?: SessionRecorder; epoch?: bigint } = {}) {
    const rec = opts.rec ?? new SessionRecorder();
    const session = await tr.open({ sessionId: sessionIdFor(chatId), ownerChatId: chatId, epoch: opts.epoch ?? 1n, handlers: rec });
    openSessions.push(session);
    return { rec, session, sessionId: sessionIdFor(chatId) };
  }

  /** A tenant whose session is linked to a fresh number and open on `tr`. */
  async function linkedTenant(tr: SimulatorTransport = state.transport) {
    const chatId = newChat();
    const number = newPhone();
    await state.control.link(sessionIdFor(chatId), number);
    const opened = await openOn(tr, chatId);
    await opened.rec.waitForState('connected');
    return { chatId, number, ...opened };
  }

  beforeAll(async () => {
    state.t = await createTestRedis(label);
    state.prefix = `${state.t.prefix}:sim`;
    state.control = new SimulatorControl({ redis: state.t.url, prefix: state.prefix });
    state.transport = newTransport();
  });

  afterEach(async () => {
    await Promise.all(openSessions.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await Promise.all(transports.map((tr) => tr.shutdown()));
    await state.control.reset();
    await state.control.close();
    await state.t.close();
  });

  /** Closes a session opened by hand after the test, like openOn's. */
  const track = (session: TransportSession): void => {
    openSessions.push(session);
  };

  return { state, newChat, newPhone, contact, newTransport, openOn, linkedTenant, track };
}

export async function expectAppError(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AppError.is(err), `expected AppError ${code}, got ${String(err)}`).toBe(true);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}
