import { DeadlineExceededError, describeValue, InvalidArgumentError, NO_DEADLINE, toCancelled } from '@switchyard/core';
import { cancelDeadline, type DeadlineEntry, scheduleDeadline } from './deadline-scheduler.js';

/** What an operation run by a policy receives. */
export interface AttemptContext {
  /** Aborts when the call's deadline passes, the caller aborts, or a policy cancels this attempt (e.g. a hedge lost). */
  readonly signal: AbortSignal;
  /** Absolute deadline (ms, `Date.now()` clock); `Infinity` for none. */
  readonly deadline: number;
  /**
   * 1 for the first attempt, 2 for the first retry or hedge, …: numbered across the whole call in
   * the order attempts start, however `retry()` and `hedge()` are nested.
   */
  readonly attempt: number;
  /** The key passed to `execute` (e.g. a method name), for keyed breakers. */
  readonly key: string | undefined;
  /**
   * Why this attempt was aborted, once it was (deadline, caller, cancellation); undefined before.
   * Reading it costs nothing, unlike creating `signal`.
   */
  readonly abortReason: Error | undefined;
  /**
   * Runs `listener` when this attempt aborts; returns the remover. A cheaper alternative to
   * `signal` for transports that only need a callback (no AbortController is made). A listener
   * that throws is ignored (it cannot stop the others).
   */
  onAbort(listener: (reason: Error) => void): () => void;
  /**
   * Says that this call's attempts cannot run side by side: its request is read once (a stream,
   * a generator) or may not be sent twice while an attempt is out (not idempotent). A `hedge()`
   * then starts no further attempt for it, and spends no budget, event or slot on one the transport
   * would refuse; retries, one at a time, are unaffected. Called by the operation, typically on its
   * first attempt; the Switchyard clients call it for such requests themselves.
   */
  disallowHedging(): void;
  /**
   * Says that no further attempt of this call may run, and why (`reason`, the error the caller
   * gets instead): typically an attempt that may have reached a server and run there, for a request
   * that must not run twice (not idempotent). `retry()` then gives up at once with `reason` (no
   * backoff wait, no budget spent), and `hedge()` starts no further attempt. The first reason
   * stays. A transport still checks {@link furtherAttemptsRefused} as each attempt starts, for
   * policies of one's own that run the operation again; the Switchyard clients do both. Given no
   * reason (undefined, null), the refusal stands, with an INVALID_ARGUMENT error saying so.
   */
  refuseFurtherAttempts(reason: Error): void;
  /** The reason given to {@link refuseFurtherAttempts}, once it was called for this call; undefined before. */
  readonly furtherAttemptsRefused: Error | undefined;
}

/**
 * The mutable state of one call or attempt as it passes through the policies. It is built to cost
 * almost nothing when nothing goes wrong: the `signal` is created only when someone reads it, a
 * child links itself to its parent only when something needs to hear the parent abort (its signal
 * is read, or a listener is added), and one racing promise sits in a single slot instead of a
 * listener list.
 */
export class CallContext implements AttemptContext {
  /** See {@link AttemptContext.attempt}; set by the policy that makes the attempt. */
  attempt = 1;
  /** The operation this call runs (set once per call; attempts inherit it). */
  operation: ((context: CallContext) => unknown) | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private reason: Error | undefined = undefined;
  private listeners: ((reason: Error) => void)[] | undefined = undefined;
  private racer: ((reason: Error) => void) | undefined = undefined;
  private deadlineEntry: DeadlineEntry | undefined = undefined;
  private linked = false;
  /** Removes the listener on a linked caller signal: once aborted, the context needs it no more. */
  private unlinkSignal: (() => void) | undefined = undefined;
  /** On the call's root context: the budget(s) this call was recorded in as a request (see firstRequestFor). */
  private recordedIn: object | undefined = undefined;
  private alsoRecordedIn: object[] | undefined = undefined;
  /** On the call's root context: see disallowHedging. */
  private hedgingDisallowed = false;
  /** On the call's root context: see refuseFurtherAttempts. */
  private refusal: Error | undefined = undefined;
  /** On the call's root context: the highest attempt number given so far (see nextAttempt). */
  private attemptsNumbered = 1;
  /** Ms this attempt has waited in bulkhead queues so far (see leaveQueue). */
  private waitedInQueueMs = 0;
  /** The operation was called in this context or one of its attempts (see markOperationCalled). */
  private operationCalled = false;

  /**
   * Made by `execute()` for the call, and by {@link CallContext.child} for its attempts: a policy
   * of one's own makes attempts with `child()`, not with this constructor.
   */
  constructor(
    public deadline: number,
    readonly key: string | undefined,
    private readonly parent: CallContext | undefined,
  ) {}

  /**
   * A child context for one attempt: same or tighter deadline (`deadline`, by default this one's;
   * a later one is cut to this one's); it aborts when this one does.
   */
  child(attempt: number, deadline = this.deadline): CallContext {
    const child = new CallContext(Math.min(deadline, this.deadline), this.key, this);
    child.attempt = attempt;
    child.operation = this.operation;
    return child;
  }

  /** See {@link AttemptContext.signal}: made on first read, so an operation that never reads it costs nothing. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      this.link();
      const reason = this.abortReason;
      if (reason) this.controller.abort(reason);
    }
    return this.controller.signal;
  }

  /** The abort reason, once this context or an ancestor aborted. */
  get abortReason(): Error | undefined {
    return this.reason ?? this.parent?.abortReason;
  }

  /** Aborts this context (first reason wins) and every linked child. */
  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.disarm();
    // An operation that ignores its signal may never settle, and the race's cleanup waits for it:
    // a shared, long-lived caller signal must not keep this context's listener meanwhile.
    this.unlinkSignal?.();
    this.unlinkSignal = undefined;
    this.controller?.abort(reason);
    const racer = this.racer;
    this.racer = undefined;
    racer?.(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) {
      for (const listener of listeners) {
        // A listener that throws (a transport's cancel, a user's onAbort) must not stop the others
        // here, nor, when a deadline fired this, the other calls due in the same millisecond: the
        // throw used to escape the shared deadline timer, and the calls after it in that bucket
        // never timed out. Isolated like core's EventEmitter listeners.
        try {
          listener(reason);
        } catch {}
      }
    }
  }

  /**
   * Runs `listener` when this context (or an ancestor) aborts; returns a remover. Already aborted:
   * it runs on the next microtask (never before this returns, so the remover exists by then);
   * before, a listener added after the abort was never called, and a bulkhead waiter that joined
   * an aborted call stayed queued until a slot freed, then ran for nobody.
   */
  onAbort(listener: (reason: Error) => void): () => void {
    const already = this.abortReason;
    if (already) {
      let removed = false;
      queueMicrotask(() => {
        // Isolated like the listeners abort() runs: a throw here escaped as an uncaught exception
        // (the process died) when the listener was added after the attempt had already aborted.
        try {
          if (!removed) listener(already);
        } catch {}
      });
      return () => {
        removed = true;
      };
    }
    this.link();
    if (this.listeners === undefined) this.listeners = [];
    this.listeners.push(listener);
    return () => {
      const listeners = this.listeners;
      if (!listeners) return;
      const index = listeners.lastIndexOf(listener);
      if (index >= 0) listeners.splice(index, 1);
    };
  }

  /**
   * Aborts this context with DEADLINE_EXCEEDED when its deadline passes (at once if it passed by
   * `now`, default `Date.now()`).
   */
  armDeadline(now = Date.now()): void {
    if (this.deadline === NO_DEADLINE || this.deadlineEntry || this.reason) return;
    if (this.deadline <= now) {
      this.abort(new DeadlineExceededError());
      return;
    }
    this.deadlineEntry = scheduleDeadline(this.deadline, () => {
      this.deadlineEntry = undefined;
      this.abort(new DeadlineExceededError());
    });
  }

  /** Cancels the deadline timer (the call finished). */
  disarm(): void {
    if (this.deadlineEntry) {
      cancelDeadline(this.deadlineEntry);
      this.deadlineEntry = undefined;
    }
  }

  /** Links a caller's AbortSignal: aborting it cancels this context. Returns the unlink function. */
  linkSignal(signal: AbortSignal): () => void {
    // toCancelled keeps a DEADLINE_EXCEEDED reason as it is (a signal from scopedSignal with a
    // deadline): reported as CANCELLED, a timeout would be ignored by the breaker and misnamed.
    if (signal.aborted) {
      this.abort(toCancelled(signal.reason));
      return noop;
    }
    const onAbort = (): void => this.abort(toCancelled(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    const unlink = (): void => signal.removeEventListener('abort', onAbort);
    this.unlinkSignal = unlink;
    return unlink;
  }

  /**
   * @internal True the first time this call asks for `budget`, false after: a call is one request
   * to a retry budget however many of its attempts pass policies that share it. retry() outside
   * hedge() with one budget recorded each call twice, and once more per retry (each retry passes
   * the hedge again); hedge() outside retry() recorded each hedge as a request. Allocates nothing
   * unless one call meets two distinct budgets.
   */
  firstRequestFor(budget: object): boolean {
    const root = this.root();
    const first = root.recordedIn;
    if (first === undefined) {
      root.recordedIn = budget;
      return true;
    }
    if (first === budget) return false;
    const more = root.alsoRecordedIn;
    if (more === undefined) {
      root.alsoRecordedIn = [budget];
      return true;
    }
    if (more.includes(budget)) return false;
    more.push(budget);
    return true;
  }

  /**
   * @internal The number of a new attempt of this call (a retry, a hedge): one above every number
   * given so far in the call, whichever policy gave it. Counted per policy, a retry() outside a
   * hedge() numbered its retry 1 again, and a hedge() outside a retry() gave a hedge and a retry
   * both 2: the transports pick an instance not tried yet only for an attempt above 1 (the retry
   * went back to the instance that had just failed), and trace the number.
   */
  nextAttempt(): number {
    const root = this.root();
    // A policy of one's own may have numbered attempts itself (child(2)): never give a number twice.
    root.attemptsNumbered = Math.max(root.attemptsNumbered, this.attempt) + 1;
    return root.attemptsNumbered;
  }

  /** See {@link AttemptContext.disallowHedging}: holds for the whole call. */
  disallowHedging(): void {
    this.root().hedgingDisallowed = true;
  }

  /** See {@link AttemptContext.refuseFurtherAttempts}: holds for the whole call; the first reason stays. */
  refuseFurtherAttempts(reason: Error): void {
    const root = this.root();
    // No reason (from JavaScript, a variable left unset) is still a refusal: kept as given, it
    // read as none, and retry() sent a request that must not run twice again. Not thrown here: a
    // transport may call this from an event handler, where a throw would be uncaught.
    root.refusal ??=
      reason ??
      new InvalidArgumentError(
        'refuseFurtherAttempts.reason',
        `must be the error the caller gets instead, got ${describeValue(reason)}; no further attempt was made`,
      );
    root.hedgingDisallowed = true;
  }

  /** See {@link AttemptContext.furtherAttemptsRefused}. */
  get furtherAttemptsRefused(): Error | undefined {
    return this.root().refusal;
  }

  /** @internal Whether a hedge may start another attempt of this call (see disallowHedging). */
  get hedgingAllowed(): boolean {
    return !this.root().hedgingDisallowed;
  }

  /**
   * @internal The call left a bulkhead's queue (admitted, or given up: its deadline passed, it was
   * cancelled, it waited too long). `waitedMs`, the time it waited, is added to {@link queueWaitMs}
   * of this context and of the ancestors that are the same attempt (a timeout's scope), so a breaker
   * around times the operation, not the caller's own congestion. Not past a retry or a hedge:
   * another attempt's wait may overlap this one's run.
   */
  leaveQueue(waitedMs: number): void {
    for (let context: CallContext | undefined = this; context !== undefined; context = context.parent) {
      if (context.attempt !== this.attempt) break;
      context.waitedInQueueMs += waitedMs;
    }
  }

  /**
   * @internal The operation is being called in this context: marks it and its ancestors (up to the
   * first one marked already, whose ancestors are marked too). One field write per attempt on the
   * happy path (see operationReached).
   */
  markOperationCalled(): void {
    for (let context: CallContext | undefined = this; context !== undefined && !context.operationCalled; ) {
      context.operationCalled = true;
      context = context.parent;
    }
  }

  /**
   * @internal Whether the operation was called in this context or in one of its attempts, so a
   * breaker around can tell a call that reached the dependency from one that never did: it waited
   * for an inner bulkhead's slot until its deadline passed (the caller's own congestion), or each
   * of its attempts was refused by an inner bulkhead or breaker. An attempt's own descendants
   * alone mark it: a sibling hedge's call does not. Once one attempt reached the operation, the
   * call has: marked by queue waits instead, a call whose first attempt hung at the dependency and
   * whose retry then ran out of time in the queue was taken for congestion, and never counted.
   */
  get operationReached(): boolean {
    return this.operationCalled;
  }

  /** @internal Ms this attempt (this context and its timeouts' scopes) has waited for bulkhead slots so far. */
  get queueWaitMs(): number {
    return this.waitedInQueueMs;
  }

  /** The call's own context: attempts are its children (retries, hedges, timeouts). */
  private root(): CallContext {
    let root: CallContext = this;
    while (root.parent !== undefined) root = root.parent;
    return root;
  }

  /** @internal Claims the single race slot; false when taken. */
  claimRace(reject: (reason: Error) => void): boolean {
    if (this.racer) return false;
    this.racer = reject;
    return true;
  }

  /** @internal Frees the race slot. */
  releaseRace(): void {
    this.racer = undefined;
  }

  private link(): void {
    if (this.linked || !this.parent) return;
    this.linked = true;
    this.parent.onAbort((reason) => this.abort(reason));
  }
}

/**
 * Settles like `promise`, or rejects with the context's abort reason as soon as the context itself
 * aborts (its deadline, or an explicit abort), whichever comes first. `onSettled` runs once either
 * way (e.g. to cancel the deadline timer). A parent's abort is raced by the parent's own race.
 */
export function raceAbort<T>(context: CallContext, promise: Promise<T>, onSettled?: () => void): Promise<T> {
  const aborted = context.abortReason;
  if (aborted) {
    promise.catch(noop); // the operation was told to stop; its own outcome no longer matters
    onSettled?.();
    return Promise.reject(aborted);
  }
  return new Promise<T>((resolve, reject) => {
    let remove: (() => void) | undefined;
    if (!context.claimRace(reject)) remove = context.onAbort(reject);
    promise.then(
      (value) => {
        if (remove) remove();
        else context.releaseRace();
        onSettled?.();
        resolve(value);
      },
      (error: unknown) => {
        if (remove) remove();
        else context.releaseRace();
        onSettled?.();
        reject(error);
      },
    );
  });
}

function noop(): void {}
