import type {
  InboundMessage,
  TransportSessionHandlers,
  TransportSessionState,
  TransportStateInfo,
} from '@wa-dispatch/core';

/**
 * Test support: session handlers that record everything they are given, with
 * polling waits (no fixed sleeps). Safe to ship: it holds only what it was handed.
 */
export class SessionRecorder implements TransportSessionHandlers {
  readonly states: { state: TransportSessionState; info: TransportStateInfo }[] = [];
  readonly qrs: { qr: string; expiresAt: Date }[] = [];
  readonly receipts: { waMessageId: string; status: 'delivered' | 'read' }[] = [];
  readonly inbound: InboundMessage[] = [];

  onState(state: TransportSessionState, info: TransportStateInfo): void {
    this.states.push({ state, info });
  }

  onQr(qr: string, expiresAt: Date): void {
    this.qrs.push({ qr, expiresAt });
  }

  onReceipt(waMessageId: string, status: 'delivered' | 'read'): void {
    this.receipts.push({ waMessageId, status });
  }

  onInbound(message: InboundMessage): void {
    this.inbound.push(message);
  }

  stateNames(): TransportSessionState[] {
    return this.states.map((s) => s.state);
  }

  lastState(): TransportSessionState | undefined {
    return this.states.at(-1)?.state;
  }

  /** Resolves with the info of the first recorded `state` at or after index `from`. */
  async waitForState(state: TransportSessionState, opts: WaitOptions & { from?: number } = {}): Promise<TransportStateInfo> {
    const from = opts.from ?? 0;
    const find = () => this.states.slice(from).find((s) => s.state === state);
    await waitUntil(() => find() !== undefined, { what: `state ${state}`, ...opts });
    return find()?.info ?? {};
  }
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  what?: string;
}

/** Polls `predicate` until true; rejects after `timeoutMs` (default 5 s). */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const intervalMs = opts.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
