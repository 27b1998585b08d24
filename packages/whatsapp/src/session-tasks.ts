/**
 * One session's work queue, shared by every transport: events, timers and
 * caller requests run one at a time, so handlers see a session's states in
 * the order they happened, and a handler that throws is logged instead of
 * killing the session. Nothing runs once the session is closed.
 */
export interface SessionTasksOptions {
  isClosed(): boolean;
  /** Log-safe failure report (the error is already reduced to a code or class name). */
  warn(what: 'session task failed' | 'handler threw', error: unknown): void;
}

export class SessionTasks {
  /** true while a task runs (callers inside a handler must not await the queue). */
  running = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly o: SessionTasksOptions) {}

  /** Runs `task` after every earlier task of this session; rejects with its error. */
  enqueue(task: () => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.o.isClosed()) return;
      this.running = true;
      try {
        await task();
      } finally {
        this.running = false;
      }
    };
    const next = this.chain.then(run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** enqueue for timers and events: failures are logged, never thrown. */
  fire(task: () => Promise<void>): void {
    this.enqueue(task).catch((e: unknown) => this.o.warn('session task failed', e));
  }

  /** Calls a handler unless the session is closed; a throwing handler is logged, never fatal. */
  async safe(call: () => void | Promise<void>): Promise<void> {
    if (this.o.isClosed()) return;
    try {
      await call();
    } catch (e) {
      this.o.warn('handler threw', e);
    }
  }
}
