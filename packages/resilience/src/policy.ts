import { assertObject, describeValue, InvalidArgumentError, NO_DEADLINE } from '@switchyard/core';
import { CallContext, raceAbort, type AttemptContext } from './call-context.js';

/** Options of one `execute` call. Any other key rejects the call with INVALID_ARGUMENT (naming it). */
export interface ExecuteOptions {
  /** The caller's signal: aborting it cancels the call (CANCELLED). @default none */
  signal?: AbortSignal;
  /**
   * Absolute deadline (ms, `Date.now()` clock). No policy outlives it (DEADLINE_EXCEEDED).
   * @default none: only the policy's own `timeout()`s bound the call
   */
  deadline?: number;
  /**
   * A key for keyed policies (e.g. `circuitBreaker({ keyed: true })`): a method, an instance id…
   * @default none (keyed policies share one state for every call without a key)
   */
  key?: string;
}

/** The operation a policy runs: may be called several times (retries, hedges). */
export type Operation<T> = (context: AttemptContext) => Promise<T> | T;

/** One step of a policy pipeline. `next` runs the rest of the pipeline (and finally the operation). */
export type Middleware = (context: CallContext, next: (context: CallContext) => Promise<unknown>) => Promise<unknown>;

/**
 * A resilience policy. Every policy (and every composition) has this one shape.
 *
 * @example
 * ```ts
 * const policy = compose(timeout({ ms: 2_000 }), retry({ maxAttempts: 3 }), circuitBreaker());
 * const product = await policy.execute(({ signal }) => fetchProduct(id, { signal }), { deadline });
 * ```
 */
export interface Policy {
  /**
   * Runs `operation` under the policy: once, or again for retries and hedges, each attempt with its
   * own {@link AttemptContext}. Resolves with the first success; rejects with the error the policy
   * ends with (the operation's own, or DEADLINE_EXCEEDED, CANCELLED, RETRY_EXHAUSTED,
   * CIRCUIT_OPEN…). Never throws: a non-function `operation` or bad `options` reject with
   * INVALID_ARGUMENT naming them, before the operation runs.
   */
  execute<T>(operation: Operation<T>, options?: ExecuteOptions): Promise<T>;
  /** The middleware steps of this policy, outermost first (what `compose` flattens). */
  readonly steps: readonly Middleware[];
  /** Its name and settings, e.g. `compose(timeout(2000ms), retry(…))`, for logs. */
  toString(): string;
}

/**
 * Builds a {@link Policy} from middleware steps (outermost first): the way to write your own policy.
 * A step receives the call's context and `next`, and returns what `next` returns (or throws).
 * `name` is what `toString()` returns.
 *
 * @throws InvalidArgumentError naming `steps` (or `steps[i]`) when they are not an array of functions.
 * @example
 * ```ts
 * const logging = createPolicy([async (context, next) => {
 *   try { return await next(context); } finally { console.log('attempt', context.attempt); }
 * }], 'logging');
 * ```
 */
export function policyFromSteps(steps: readonly Middleware[], name: string): Policy {
  assertSteps(steps);
  // A custom step that throws instead of rejecting makes execute() reject (not throw), and
  // leaves neither the caller's signal listener nor the deadline entry behind (see chain).
  const run = chain(steps);
  return {
    steps,
    execute<T>(operation: Operation<T>, options?: ExecuteOptions): Promise<T> {
      if (typeof operation !== 'function') {
        return Promise.reject(new InvalidArgumentError('operation', 'must be a function'));
      }
      let deadline = NO_DEADLINE;
      let signal: AbortSignal | undefined;
      let key: string | undefined;
      if (options !== undefined) {
        try {
          assertObject('options', options);
          assertExecuteKeys(options);
          ({ deadline = NO_DEADLINE, signal, key } = options as ExecuteOptions);
          if (typeof deadline !== 'number' || Number.isNaN(deadline)) {
            throw new InvalidArgumentError('options.deadline', 'must be an absolute time in ms (a number)');
          }
          if (signal !== undefined && !(signal instanceof AbortSignal)) {
            throw new InvalidArgumentError('options.signal', 'must be an AbortSignal');
          }
          if (key !== undefined && typeof key !== 'string')
            throw new InvalidArgumentError('options.key', 'must be a string');
        } catch (error) {
          return Promise.reject(error);
        }
      }
      const context = new CallContext(deadline, key, undefined);
      context.operation = operation as (context: CallContext) => unknown;
      // Fast path: no deadline and no signal means nothing can abort the call from outside.
      if (deadline === NO_DEADLINE && signal === undefined) return run(context) as Promise<T>;
      const unlink = signal ? context.linkSignal(signal) : undefined;
      context.armDeadline();
      // Already cancelled, or past its deadline: fail without running anything (a probe slot, a
      // bulkhead place or a network call spent on a call nobody waits for).
      const aborted = context.abortReason;
      if (aborted) {
        context.disarm();
        unlink?.();
        return Promise.reject(aborted);
      }
      return raceAbort(context, run(context) as Promise<T>, () => {
        context.disarm();
        unlink?.();
      });
    },
    toString: () => name,
  };
}

/**
 * Refuses an option `execute` does not know, as every policy's options do: a misspelt one was
 * ignored without a word, and `{ deadlineMs: 500 }` (what the gRPC and HTTP clients take) or
 * `{ timeout: 500 }` ran the call with no deadline at all. A `for…in` over the few keys there are,
 * so the per-call check allocates nothing.
 */
function assertExecuteKeys(options: object): void {
  for (const name in options) {
    if (name !== 'deadline' && name !== 'signal' && name !== 'key') {
      throw new InvalidArgumentError(
        `options.${name}`,
        name === 'deadlineMs' || name === 'timeout' || name === 'timeoutMs'
          ? 'unknown option; execute() takes an absolute `deadline` (e.g. Date.now() + 500), or use timeout({ ms })'
          : 'unknown option; expected one of deadline, signal, key',
      );
    }
  }
}

/**
 * Checks what `createPolicy` is given, once, when the policy is made: a single step function
 * instead of an array of them made every call fail with "step is not a function", and a step that
 * is not a function failed each call the same way.
 */
function assertSteps(steps: unknown): void {
  if (!Array.isArray(steps)) {
    throw new InvalidArgumentError('steps', `must be an array of middleware functions, got ${describeValue(steps)}`);
  }
  steps.forEach((step, index) => {
    if (typeof step !== 'function') {
      throw new InvalidArgumentError(
        `steps[${index}]`,
        `must be a middleware function (context, next) => Promise, got ${describeValue(step)}`,
      );
    }
  });
}

/** Calls the context's operation, turning a synchronous throw into a rejection. */
function invoke(context: CallContext): Promise<unknown> {
  // Marked before the call (a synchronous throw still reached the operation): a breaker around
  // does not count a call whose attempts were all refused before it (see operationReached).
  context.markOperationCalled();
  try {
    return Promise.resolve((context.operation as (context: CallContext) => unknown)(context));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Folds middleware into one function, once, at construction: continuation i runs step i with
 * continuation i + 1, and the last runs the operation the context carries, so a call allocates no
 * closures for the pipeline itself.
 */
function chain(steps: readonly Middleware[]): (context: CallContext) => Promise<unknown> {
  let next: (context: CallContext) => Promise<unknown> = invoke;
  for (let index = steps.length - 1; index >= 0; index--) {
    const step = steps[index] as Middleware;
    const inner = next;
    // A step that throws instead of rejecting (a custom one) must look like a rejection to the
    // step around it, or that step's cleanup (a bulkhead's slot, a breaker's probe) never runs.
    next = (context) => {
      try {
        return step(context, inner);
      } catch (error) {
        return Promise.reject(error);
      }
    };
  }
  return next;
}
