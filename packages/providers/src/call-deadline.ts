import type { UpstreamTimeouts } from './provider-adapter.ts';
import { UpstreamCancelledError, UpstreamTimeoutError, type UpstreamError } from './upstream-error.ts';

/**
 * The time limits and cancellation of one upstream attempt, as one `AbortSignal` to hand to the HTTP
 * client. Whatever fires first (the caller's signal, the total limit, the first-byte limit, the idle
 * limit) aborts the signal with a typed `UpstreamError` as its reason, so the adapter can tell a timeout
 * from a cancellation from a network failure. The phase timer is re-armed with `refresh()`, which costs
 * nothing per chunk.
 */
export class CallDeadline {
  private readonly controller = new AbortController();
  private readonly totalTimer: NodeJS.Timeout | null;
  private phaseTimer: NodeJS.Timeout | null = null;
  private phase: 'first_byte' | 'idle' | 'none';
  private disposed = false;
  private readonly onCallerAbort: () => void;

  constructor(private readonly timeouts: UpstreamTimeouts, private readonly callerSignal: AbortSignal | undefined, options: { watchFirstByte: boolean }) {
    this.onCallerAbort = () => this.abort(new UpstreamCancelledError({ cause: callerSignal?.reason }));
    if (callerSignal?.aborted) this.onCallerAbort();
    else callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    // Timers are unref'd: the request's socket (or the mock's sleep) keeps the process alive, a deadline must not.
    this.totalTimer = timeouts.totalMs > 0 ? setTimeout(() => this.abort(new UpstreamTimeoutError('total', timeouts.totalMs)), timeouts.totalMs).unref() : null;
    this.phase = options.watchFirstByte ? 'first_byte' : 'none';
    if (options.watchFirstByte && timeouts.firstByteMs > 0) {
      this.phaseTimer = setTimeout(() => this.abort(new UpstreamTimeoutError('first_byte', timeouts.firstByteMs)), timeouts.firstByteMs).unref();
    }
  }

  /** Aborted when the call must stop; `reason` is then an `UpstreamError`. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The typed reason once aborted, else null. */
  get failure(): UpstreamError | null {
    return this.controller.signal.aborted ? (this.controller.signal.reason as UpstreamError) : null;
  }

  /** Marks body data as arrived: ends the first-byte phase, (re)starts the idle limit. */
  markProgress(): void {
    if (this.disposed) return;
    if (this.phase === 'idle') {
      this.phaseTimer?.refresh();
      return;
    }
    if (this.phaseTimer !== null) clearTimeout(this.phaseTimer);
    this.phaseTimer = null;
    this.phase = 'idle';
    if (this.timeouts.idleMs > 0) {
      this.phaseTimer = setTimeout(() => this.abort(new UpstreamTimeoutError('idle', this.timeouts.idleMs)), this.timeouts.idleMs).unref();
    }
  }

  /** Aborts with the given reason (first reason wins). */
  abort(reason: UpstreamError): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    this.dispose();
  }

  /** Stops every timer and the caller listener; call when the attempt is over. Idempotent. */
  dispose(): void {
    this.disposed = true;
    if (this.totalTimer !== null) clearTimeout(this.totalTimer);
    if (this.phaseTimer !== null) clearTimeout(this.phaseTimer);
    this.phaseTimer = null;
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }
}
