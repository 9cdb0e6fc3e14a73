import { EventEmitter } from 'node:events';
import { CancelledError, DeadlineExceededError, NO_DEADLINE } from '@switchyard/core';
import type { AttemptContext } from '@switchyard/resilience';

type AbortListener = (reason: Error) => void;

/**
 * What undici is given as the attempt's `signal`: an EventEmitter (which undici accepts) that
 * emits `abort` when the attempt's context aborts (deadline, caller, a lost hedge) or, until
 * released, when the caller's own signal does (so reading a body can still be cancelled).
 *
 * Why not the context's AbortSignal: an AbortController plus an EventTarget listener per request
 * costs several microseconds and shows up as a double-digit share of a loopback request.
 */
export class AttemptAbort extends EventEmitter {
  reason: Error | undefined = undefined;
  private removeContextListener: (() => void) | undefined;
  private removeCallerListener: (() => void) | undefined;

  constructor(context: AttemptContext, callerSignal: AbortSignal | undefined) {
    super();
    const onAbort = (reason: Error): void => this.abort(reason);
    const already = context.abortReason;
    if (already) this.abort(already);
    else this.removeContextListener = context.onAbort(onAbort);
    if (callerSignal) {
      this.removeCallerListener = follow(callerSignal, (reason) =>
        this.abort(
          reason instanceof CancelledError ? reason : new CancelledError('operation cancelled', { cause: reason }),
        ),
      );
    }
  }

  /** Read by undici: whether the request should not start. */
  get aborted(): boolean {
    return this.reason !== undefined;
  }

  abort(reason: Error): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.emit('abort');
  }

  /** Stops following everything (the attempt failed, or its response was fully handled). */
  release(): void {
    this.removeContextListener?.();
    this.removeCallerListener?.();
    this.removeContextListener = undefined;
    this.removeCallerListener = undefined;
  }

  /** Stops following the attempt context only (the response is handed to the caller, whose signal still counts). */
  releaseContext(): void {
    this.removeContextListener?.();
    this.removeContextListener = undefined;
  }
}

function follow(signal: AbortSignal, listener: AbortListener): (() => void) | undefined {
  if (signal.aborted) {
    listener(signal.reason);
    return undefined;
  }
  const onAbort = (): void => listener(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/**
 * The attempt context of a client with `policy: false`: one attempt under the call's deadline and
 * the caller's signal, with the same cheap abort side as resilience's contexts.
 */
export class SingleAttemptContext implements AttemptContext {
  readonly attempt = 1;
  readonly key = undefined;
  abortReason: Error | undefined = undefined;
  private listeners: AbortListener[] = [];
  private timer: NodeJS.Timeout | undefined;
  private controller: AbortController | undefined;
  private readonly unlinkCaller: (() => void) | undefined;

  constructor(
    readonly deadline: number,
    callerSignal: AbortSignal | undefined,
  ) {
    if (deadline !== NO_DEADLINE) {
      this.timer = setTimeout(() => this.abort(new DeadlineExceededError()), Math.max(0, deadline - Date.now()));
      this.timer.unref();
    }
    this.unlinkCaller = callerSignal
      ? follow(callerSignal, (reason) => this.abort(new CancelledError('operation cancelled', { cause: reason })))
      : undefined;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  onAbort(listener: AbortListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  abort(reason: Error): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.dispose();
    this.controller?.abort(reason);
    for (const listener of this.listeners.splice(0)) listener(reason);
  }

  /** Clears the deadline timer and the caller link (the call is over). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.unlinkCaller?.();
  }
}
