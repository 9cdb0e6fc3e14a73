import { EventEmitter } from 'node:events';
import { DeadlineExceededError, NO_DEADLINE, setLongTimeout, toCancelled } from '@switchyard/core';
import type { AttemptContext } from '@switchyard/resilience';

type AbortListener = (reason: Error) => void;

/**
 * How one attempt is cancelled: it aborts when the attempt's context does (deadline, caller, a
 * lost hedge) or, until released, when the caller's own signal does (so reading a body can still
 * be cancelled). The buffered path registers undici's abort function with {@link onAbortDo}; the
 * streamed path hands undici {@link asSignal}, an EventEmitter that undici accepts as a signal.
 *
 * Why not the context's AbortSignal: an AbortController plus an EventTarget listener per request
 * costs several microseconds and shows up as a double-digit share of a loopback request. The
 * emitter is made only when asked for, for the same reason.
 */
export class AttemptAbort {
  reason: Error | undefined = undefined;
  /**
   * Aborted while its buffered exchange still waited for a connection (queued behind a full pool,
   * or connecting): undici had sent nothing, so the request certainly never reached a server.
   */
  abortedBeforeConnect = false;
  /** undici's abort function for a buffered exchange (dispatch gives a function, not a signal slot). */
  private direct: ((reason: Error) => void) | undefined = undefined;
  private emitter: AbortEmitter | undefined = undefined;
  /** A buffered exchange not yet connected (see failOnAbort). */
  private waiting: { onError(reason: Error): void } | undefined = undefined;
  private removeContextListener: (() => void) | undefined;
  private removeCallerListener: (() => void) | undefined;

  /**
   * `cutShort`, if given, hears the context abort this attempt once it was started (not one
   * already aborted when it began), synchronously, with {@link abortedBeforeConnect} set.
   */
  constructor(context: AttemptContext, callerSignal: AbortSignal | undefined, cutShort?: AbortListener) {
    const onAbort = (reason: Error): void => {
      this.abort(reason);
      cutShort?.(reason);
    };
    const already = context.abortReason;
    if (already) this.abort(already);
    else this.removeContextListener = context.onAbort(onAbort);
    // toCancelled, as the resilience policies read a caller's signal: one that aborted because time
    // ran out (AbortSignal.timeout(), a handler's context.signal at its deadline) is
    // DEADLINE_EXCEEDED, any other abort CANCELLED. Wrapped in a CancelledError, a call without a
    // policy, and any streamed body's read, failed as CANCELLED.
    if (callerSignal) {
      this.removeCallerListener = follow(callerSignal, (reason) => this.abort(toCancelled(reason)));
    }
  }

  /** What undici's `request()` is given as its `signal`. */
  asSignal(): EventEmitter {
    this.emitter ??= new AbortEmitter(this);
    return this.emitter;
  }

  abort(reason: Error): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.abortedBeforeConnect = this.waiting !== undefined;
    this.emitter?.emit('abort');
    const direct = this.direct;
    this.direct = undefined;
    if (direct) {
      direct(reason);
      return;
    }
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.onError(reason);
  }

  /**
   * Fails `exchange` with the reason if the attempt aborts before {@link onAbortDo} is given
   * undici's abort function (which undici hands over only once the request has a connection).
   */
  failOnAbort(exchange: { onError(reason: Error): void } | undefined): void {
    this.waiting = exchange;
  }

  /** Calls `callback` (instead of an `abort` listener) when the attempt aborts; `undefined` unsets it. */
  onAbortDo(callback: ((reason: Error) => void) | undefined): void {
    this.direct = callback;
  }

  /**
   * A promise that rejects with the reason when the attempt aborts (at once if it has), for
   * racing a request undici cannot cancel yet: one still queued for a connection, or connecting.
   * `dispose` stops listening.
   */
  rejection(): { promise: Promise<never>; dispose: () => void } {
    const emitter = this.asSignal();
    let onAbort: (() => void) | undefined;
    const promise = new Promise<never>((_, reject) => {
      if (this.reason !== undefined) {
        reject(this.reason);
        return;
      }
      onAbort = () => reject(this.reason);
      emitter.once('abort', onAbort);
    });
    return { promise, dispose: () => onAbort && emitter.off('abort', onAbort) };
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

/** An EventEmitter that undici accepts as a request's signal: it reads `aborted` and listens for `abort`. */
class AbortEmitter extends EventEmitter {
  constructor(private readonly owner: AttemptAbort) {
    super();
  }

  /** Read by undici: whether the request should not start. */
  get aborted(): boolean {
    return this.owner.reason !== undefined;
  }

  /**
   * Read by undici as it aborts: what a request, or a response body still being read, fails with.
   * Without it undici used its own RequestAbortedError, so a caller who aborted while reading the
   * body got UND_ERR_ABORTED instead of CANCELLED (or DEADLINE_EXCEEDED).
   */
  get reason(): Error | undefined {
    return this.owner.reason;
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
  private cancelTimer: (() => void) | undefined;
  private controller: AbortController | undefined;
  private readonly unlinkCaller: (() => void) | undefined;

  constructor(
    readonly deadline: number,
    callerSignal: AbortSignal | undefined,
  ) {
    // A long timer: past ~24.8 days a plain setTimeout fires after 1 ms.
    if (deadline !== NO_DEADLINE) {
      this.cancelTimer = setLongTimeout(
        () => this.abort(new DeadlineExceededError()),
        Math.max(0, deadline - Date.now()),
      );
    }
    // (toCancelled: a signal that timed out is DEADLINE_EXCEEDED, as in AttemptAbort.)
    this.unlinkCaller = callerSignal ? follow(callerSignal, (reason) => this.abort(toCancelled(reason))) : undefined;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Nothing to do: without a policy, a call has one attempt. */
  disallowHedging(): void {}

  /** Kept for the contract's sake: without a policy, a call has one attempt. */
  furtherAttemptsRefused: Error | undefined = undefined;

  refuseFurtherAttempts(reason: Error): void {
    this.furtherAttemptsRefused ??= reason;
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
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.unlinkCaller?.();
  }
}
