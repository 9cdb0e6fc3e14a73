import { SwitchyardError } from '@switchyard/core';
import { bulkhead, circuitBreaker, compose, type Policy, retry, retryBudget, timeout } from '@switchyard/resilience';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { anyValue, describeError, expectInvalidArgument, optional, runs, show, strip } from './support/arbitraries.js';
import { settle, trackUnhandledRejections } from './support/unhandled.js';

const unhandled = trackUnhandledRejections();
afterAll(async () => {
  await settle(50);
  unhandled.stop();
  expect(unhandled.reasons.map(describeError)).toEqual([]);
});

/** A number that is sometimes in range, sometimes at the edges, sometimes not a number at all. */
const numberish = (min: number, max: number) =>
  fc.oneof(
    { arbitrary: fc.integer({ min, max: Math.min(max, min + 1_000) }), weight: 4 },
    fc.constantFrom(
      min,
      max,
      min - 1,
      max + 1,
      0,
      -1,
      0.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.MAX_VALUE,
      -0,
    ),
    fc.double(),
    anyValue,
  );
const withUnknownKey = <T extends object>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof(
    { arbitrary, weight: 6 },
    fc
      .tuple(arbitrary, fc.string({ maxLength: 10 }), anyValue)
      .map(([options, key, value]) => ({ ...options, [key]: value })),
    anyValue,
  );

const budgetOptions = withUnknownKey(
  fc
    .record({
      ratio: optional(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), numberish(0, 1))),
      minPerSecond: optional(numberish(0, 1_000_000)),
      windowMs: optional(numberish(10, 3_600_000)),
    })
    .map(strip),
);
const retryOptions = withUnknownKey(
  fc
    .record({
      maxAttempts: optional(numberish(1, 100)),
      backoff: optional(
        fc.oneof(
          fc
            .record({
              initialMs: optional(numberish(0, 50)),
              maxMs: optional(numberish(0, 100)),
              multiplier: optional(numberish(1, 100)),
            })
            .map(strip),
          anyValue,
        ),
      ),
      retryOn: optional(
        fc.oneof(
          fc.constant(() => true),
          fc.constant(() => false),
          anyValue,
        ),
      ),
      pushbackOf: optional(
        fc.oneof(
          fc.constant(() => undefined),
          fc.constant(() => -1),
          fc.constant(() => 5),
          anyValue,
        ),
      ),
      budget: optional(
        fc.oneof(
          fc.constant(false),
          fc.constant(null).map(() => retryBudget()),
          anyValue,
        ),
      ),
    })
    .map(strip),
);
const breakerOptions = withUnknownKey(
  fc
    .record({
      window: optional(
        fc.oneof(
          fc.record({ size: numberish(1, 1_000_000) }),
          fc.record({ windowMs: numberish(10, 86_400_000) }),
          anyValue,
        ),
      ),
      failureRateThreshold: optional(fc.oneof(fc.double({ min: 0, max: 1.5, noNaN: true }), numberish(0, 1))),
      slowCallMs: optional(numberish(0, 3_600_000)),
      slowCallRateThreshold: optional(fc.oneof(fc.double({ min: 0, max: 1.5, noNaN: true }), numberish(0, 1))),
      minimumCalls: optional(numberish(1, 1_000_000)),
      openMs: optional(numberish(1, 86_400_000)),
      halfOpenCalls: optional(numberish(1, 10_000)),
      isFailure: optional(
        fc.oneof(
          fc.constant(() => true),
          anyValue,
        ),
      ),
      keyed: optional(fc.oneof(fc.boolean(), anyValue)),
      maxKeys: optional(numberish(1, 10_000_000)),
    })
    .map(strip),
);
const bulkheadOptions = withUnknownKey(
  fc
    .record({
      maxConcurrent: numberish(1, 1_000_000),
      maxQueue: optional(numberish(0, 10_000_000)),
      queueTimeoutMs: optional(numberish(0, 86_400_000)),
    })
    .map(strip),
);
const timeoutOptions = withUnknownKey(fc.record({ ms: numberish(0, 2_147_483_647) }));

/**
 * Options a user would write: every field in range (values still vary). The hostile arbitraries
 * above get few runs through validation when a factory has many options (circuitBreaker: 10 of 100,
 * retry: 29), and only an accepted policy's execute() is exercised; these keep that part fuzzed.
 */
const userOptions = {
  retry: fc
    .record({
      maxAttempts: optional(fc.integer({ min: 1, max: 5 })),
      backoff: optional(
        fc
          .record({
            initialMs: optional(fc.integer({ min: 0, max: 20 })),
            maxMs: optional(fc.integer({ min: 20, max: 100 })),
            multiplier: optional(fc.integer({ min: 1, max: 3 })),
          })
          .map(strip),
      ),
      retryOn: optional(
        fc.constantFrom(
          () => true,
          () => false,
        ),
      ),
      budget: optional(
        fc.oneof(
          fc.constant(false),
          fc.constant(null).map(() => retryBudget()),
        ),
      ),
    })
    .map(strip),
  circuitBreaker: fc
    .record({
      window: optional(
        fc.oneof(
          fc.record({ size: fc.integer({ min: 1, max: 100 }) }),
          fc.record({ windowMs: fc.integer({ min: 10, max: 60_000 }) }),
        ),
      ),
      failureRateThreshold: optional(fc.double({ min: 0, max: 1, noNaN: true })),
      slowCallMs: optional(fc.integer({ min: 1, max: 10_000 })),
      slowCallRateThreshold: optional(fc.double({ min: 0, max: 1, noNaN: true })),
      minimumCalls: optional(fc.integer({ min: 1, max: 100 })),
      openMs: optional(fc.integer({ min: 1, max: 60_000 })),
      halfOpenCalls: optional(fc.integer({ min: 1, max: 10 })),
      keyed: optional(fc.boolean()),
      maxKeys: optional(fc.integer({ min: 1, max: 1_000 })),
    })
    .map(strip),
  bulkhead: fc
    .record({
      maxConcurrent: fc.integer({ min: 1, max: 10 }),
      maxQueue: optional(fc.integer({ min: 0, max: 100 })),
      queueTimeoutMs: optional(fc.integer({ min: 0, max: 1_000 })),
    })
    .map(strip),
  timeout: fc.record({ ms: fc.integer({ min: 1, max: 1_000 }) }),
  retryBudget: fc
    .record({
      ratio: optional(fc.double({ min: 0, max: 1, noNaN: true })),
      minPerSecond: optional(fc.integer({ min: 0, max: 100 })),
      windowMs: optional(fc.integer({ min: 10, max: 60_000 })),
    })
    .map(strip),
};

const factories: Record<string, [(options: never) => unknown, fc.Arbitrary<unknown>]> = {
  retry: [retry, fc.oneof({ arbitrary: retryOptions, weight: 2 }, userOptions.retry)],
  circuitBreaker: [circuitBreaker, fc.oneof({ arbitrary: breakerOptions, weight: 2 }, userOptions.circuitBreaker)],
  bulkhead: [bulkhead, fc.oneof({ arbitrary: bulkheadOptions, weight: 2 }, userOptions.bulkhead)],
  timeout: [timeout, fc.oneof({ arbitrary: timeoutOptions, weight: 2 }, userOptions.timeout)],
  retryBudget: [retryBudget, fc.oneof({ arbitrary: budgetOptions, weight: 2 }, userOptions.retryBudget)],
};

class Unavailable extends SwitchyardError {
  constructor() {
    super('UNAVAILABLE', 'try elsewhere', { retryable: true });
  }
}
const operations: [string, () => Promise<string>][] = [
  ['succeeds', async () => 'ok'],
  ['fails retryably', async () => Promise.reject(new Unavailable())],
  [
    'throws a plain error',
    () => {
      throw new Error('boom');
    },
  ],
];

/** Runs `promise`, failing the property if it neither settles within `ms` nor is a promise. */
async function settledWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([
    Promise.allSettled([promise]).then(([result]) => result as PromiseSettledResult<T>),
    late,
  ]);
  clearTimeout(timer);
  if (outcome === 'late') throw new Error(`${what} did not settle within ${ms} ms`);
  return outcome;
}

describe('resilience policy options over arbitrary input', () => {
  for (const [name, [factory, options]] of Object.entries(factories)) {
    it(`${name}(options): INVALID_ARGUMENT at construction, or a policy whose execute always returns a settling promise`, async () => {
      // Runs that got a policy: a property whose inputs are nearly all refused checks nothing past
      // validation (asserted below).
      let tried = 0;
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(options, async (input) => {
          tried++;
          let made: unknown;
          try {
            made = factory(input as never);
          } catch (error) {
            expectInvalidArgument(error, `${name}(${show(input)})`);
            return;
          }
          accepted++;
          if (name === 'retryBudget') {
            const budget = made as ReturnType<typeof retryBudget>;
            budget.recordRequest();
            expect(typeof budget.tryAcquireRetry()).toBe('boolean');
            return;
          }
          const policy = made as Policy;
          for (const [label, operation] of operations) {
            let promise: Promise<string>;
            try {
              promise = policy.execute(operation, { deadline: Date.now() + 150 });
            } catch (error) {
              throw new Error(
                `${name}(${show(input)}).execute threw synchronously (${label}): ${describeError(error)}`,
              );
            }
            expect(promise).toBeInstanceOf(Promise);
            const outcome = await settledWithin(promise, 2_000, `${name}(${show(input)}).execute (${label})`);
            if (outcome.status === 'fulfilled') expect(outcome.value).toBe('ok');
            else {
              const reason = outcome.reason as Error;
              // The operation's own error may pass through unchanged; anything else is a Switchyard error.
              if (reason.message !== 'boom') {
                expect(
                  SwitchyardError.isInstance(reason),
                  `${name}(${show(input)}) (${label}): ${describeError(reason)}`,
                ).toBe(true);
              }
            }
          }
        }),
        runs(100, name === 'retry' ? [[{ budget: 5 }] as [unknown]] : []),
      );
      expect(accepted, `${name}: runs that got a policy, of ${tried}`).toBeGreaterThanOrEqual(tried / 4);
    });
  }

  it('execute(operation, options) with arbitrary options never throws synchronously: a result or INVALID_ARGUMENT', async () => {
    const policies = [
      compose(retry({ maxAttempts: 2 }), circuitBreaker()),
      timeout({ ms: 1_000 }),
      bulkhead({ maxConcurrent: 2 }),
    ];
    const executeOptions = fc.oneof(
      fc
        .record({
          deadline: optional(
            fc.oneof(
              fc.integer({ min: 1, max: 2_000 }).map((ms) => Date.now() + ms),
              anyValue,
            ),
          ),
          signal: optional(fc.oneof(fc.constant(new AbortController().signal), anyValue)),
          key: optional(fc.oneof(fc.string(), anyValue)),
        })
        .map(strip),
      anyValue,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...policies),
        executeOptions,
        fc.oneof(
          fc.constant(async () => 'ok'),
          anyValue,
        ),
        async (policy, options, operation) => {
          let promise: Promise<unknown>;
          try {
            promise = policy.execute(operation as never, options as never);
          } catch (error) {
            throw new Error(
              `execute(${show(operation)}, ${show(options)}) threw synchronously: ${describeError(error)}`,
            );
          }
          const outcome = await settledWithin(promise, 3_000, 'execute');
          if (outcome.status === 'rejected') {
            const reason = outcome.reason;
            expect(SwitchyardError.isInstance(reason), `${show(options)}: ${describeError(reason)}`).toBe(true);
            if (typeof operation !== 'function') expectInvalidArgument(reason);
          }
        },
      ),
      runs(300, [[policies[0] as Policy, { signal: 'abort' }, async () => 'ok'] as [Policy, unknown, unknown]]),
    );
  });

  it('a deadline further away than setTimeout can count (~24.8 days) does not expire at once', async () => {
    const policy = compose(retry({ maxAttempts: 2 }), circuitBreaker());
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2 ** 31, max: 10 ** 15 }), async (offsetMs) => {
        const outcome = await settledWithin(
          policy.execute(() => new Promise((resolve) => setTimeout(() => resolve('done'), 20)), {
            deadline: Date.now() + offsetMs,
          }),
          2_000,
          'execute',
        );
        expect(outcome.status === 'fulfilled' ? outcome.value : describeError(outcome.reason)).toBe('done');
      }),
      runs(10, [[2 ** 31]]),
    );
  });
});
