import { DeadlineExceededError, SwitchyardError } from '@switchyard/core';
// From source, not the package name: for tsc that resolves to the built dist/, which may predate
// probeTimeoutMs (vitest runs the source either way).
import { bulkhead, circuitBreaker, compose, pendingDeadlineTimers, retry, timeout } from '@switchyard/resilience';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const fail = () => Promise.reject(new SwitchyardError('UNAVAILABLE', 'down', { retryable: true }));
const ok = () => Promise.resolve('ok');
const hang = () => new Promise<never>(() => {});

/** An operation that hangs until `release()` resolves it with 'held'. */
function held(): { operation: () => Promise<string>; release: () => void } {
  let release = (): void => {};
  const operation = () => new Promise<string>((resolve) => (release = () => resolve('held')));
  return { operation, release: () => release() };
}

describe('circuitBreaker counts only calls that reached the operation', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('does not count calls whose deadline passed while they waited in an inner bulkhead queue (the documented order)', async () => {
    const breaker = circuitBreaker({ minimumCalls: 3, failureRateThreshold: 0.5, openMs: 60_000 });
    const slots = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    const policy = compose(breaker, slots, timeout({ ms: 10_000 }));
    const holder = held();
    const running = policy.execute(holder.operation);
    let ran = 0;
    const queued = Array.from({ length: 5 }, () =>
      policy
        .execute(
          () => {
            ran++;
            return ok();
          },
          { deadline: Date.now() + 50 },
        )
        .catch((error: unknown) => error),
    );
    await vi.advanceTimersByTimeAsync(60);
    const errors = await Promise.all(queued);
    // The caller still sees the deadline, as before: same type, same code.
    for (const error of errors) {
      expect(error).toBeInstanceOf(DeadlineExceededError);
      expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    }
    expect(ran).toBe(0);
    expect(slots.queued).toBe(0);
    // The caller's own congestion says nothing about the dependency.
    expect(breaker.state()).toBe('closed');
    holder.release();
    await expect(running).resolves.toBe('held');
    expect(breaker.state()).toBe('closed');

    // Calls that did reach the dependency and ran out of time there still count.
    for (let i = 0; i < 3; i++) {
      const call = policy.execute(hang, { deadline: Date.now() + 20 }).catch(() => {});
      await vi.advanceTimersByTimeAsync(25);
      await call;
    }
    expect(breaker.state()).toBe('open');
  });

  it('does not count a per-attempt timeout that fired while the call waited in a bulkhead inside it', async () => {
    const breaker = circuitBreaker({ minimumCalls: 3, failureRateThreshold: 0.5, openMs: 60_000 });
    const slots = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    const policy = compose(breaker, timeout({ ms: 50 }), slots);
    const holder = held();
    void slots.execute(holder.operation);
    const queued = Array.from({ length: 5 }, () => policy.execute(ok).catch((error: unknown) => error));
    await vi.advanceTimersByTimeAsync(60);
    for (const error of await Promise.all(queued)) {
      expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED', retryable: true });
    }
    expect(breaker.state()).toBe('closed');
    holder.release();
  });

  it('a half-open probe whose deadline passed in the bulkhead queue frees its slot instead of re-opening the circuit', async () => {
    const breaker = circuitBreaker({ minimumCalls: 1, openMs: 1_000, halfOpenCalls: 1 });
    const slots = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    const policy = compose(breaker, slots);
    await policy.execute(fail).catch(() => {});
    expect(breaker.state()).toBe('open');
    await vi.advanceTimersByTimeAsync(1_000);
    const holder = held();
    void slots.execute(holder.operation); // the caller's own congestion, not through the breaker
    const probe = policy.execute(ok, { deadline: Date.now() + 50 }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(60);
    expect(await probe).toBeInstanceOf(DeadlineExceededError);
    expect(breaker.state()).toBe('half-open');
    holder.release();
    await expect(policy.execute(ok)).resolves.toBe('ok'); // the freed slot admits the next probe
    expect(breaker.state()).toBe('closed');
  });
});

describe('circuitBreaker outside retry() counts only calls whose attempts reached the operation', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A retry that also retries a full bulkhead (as a caller may choose to), with short waits. */
  const retryingFullBulkheads = () =>
    retry({
      maxAttempts: 3,
      backoff: { initialMs: 1, maxMs: 1 },
      budget: false,
      retryOn: (error) => ['UNAVAILABLE', 'BULKHEAD_FULL'].includes((error as { code?: string }).code ?? ''),
    });

  it('does not count a call whose every attempt an inner bulkhead refused (RETRY_EXHAUSTED)', async () => {
    const breaker = circuitBreaker({ minimumCalls: 3, failureRateThreshold: 0.5, openMs: 60_000 });
    const slots = bulkhead({ maxConcurrent: 1 });
    const policy = compose(breaker, retryingFullBulkheads(), slots);
    const holder = held();
    void slots.execute(holder.operation); // the caller's own congestion, not through the breaker
    let ran = 0;
    for (let i = 0; i < 5; i++) {
      const call = policy
        .execute(() => {
          ran++;
          return ok();
        })
        .catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(10);
      // The caller still gets what it got: every attempt refused.
      expect(await call).toMatchObject({ code: 'RETRY_EXHAUSTED', cause: { code: 'BULKHEAD_FULL' } });
    }
    expect(ran).toBe(0);
    // Was 'open': five calls that never reached the dependency read as five failures of it.
    expect(breaker.state()).toBe('closed');
    holder.release();
    // Calls whose attempts reached a failing dependency still count.
    for (let i = 0; i < 3; i++) {
      const call = policy.execute(fail).catch(() => {});
      await vi.advanceTimersByTimeAsync(10);
      await call;
    }
    expect(breaker.state()).toBe('open');
  });

  it('does not count CIRCUIT_OPEN of an inner (per-instance) breaker that the default retryOn retried', async () => {
    const outer = circuitBreaker({ minimumCalls: 3, failureRateThreshold: 0.5, openMs: 60_000 });
    const inner = circuitBreaker({ minimumCalls: 1, openMs: 60_000 });
    const policy = compose(outer, retry({ backoff: { initialMs: 1, maxMs: 1 }, budget: false }), inner);
    inner.isolate(); // an instance taken out by hand (or opened by failures the outer one counted then)
    for (let i = 0; i < 5; i++) {
      const call = policy.execute(ok).catch((error: unknown) => error);
      await vi.advanceTimersByTimeAsync(10);
      expect(await call).toMatchObject({ code: 'RETRY_EXHAUSTED', cause: { code: 'CIRCUIT_OPEN' } });
    }
    expect(outer.state()).toBe('closed'); // was 'open'
  });

  it('counts a call whose first attempt hung at the dependency though its retry then ran out of time in the queue', async () => {
    const breaker = circuitBreaker({ minimumCalls: 2, failureRateThreshold: 0.5, openMs: 60_000 });
    const slots = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    // The default retryOn retries the per-attempt timeout's DEADLINE_EXCEEDED (time is left).
    const retries = retry({ backoff: { initialMs: 1, maxMs: 1 }, budget: false });
    const policy = compose(breaker, retries, slots, timeout({ ms: 50 }));
    let ran = 0;
    const hanging = () => {
      ran++;
      return hang();
    };
    // x's first attempt hangs 50 ms at the dependency while y waits for the slot; then y's hangs
    // while x's retry waits for it, until both deadlines pass.
    const x = policy.execute(hanging, { deadline: Date.now() + 80 }).catch((error: unknown) => error);
    const y = policy.execute(hanging, { deadline: Date.now() + 80 }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    expect(await x).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(await y).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect(ran).toBe(2);
    // Both calls reached a dependency that hung: two failures of two. Was 'closed': x was taken
    // for the caller's own congestion (its last attempt never left the queue), and not counted.
    expect(breaker.state()).toBe('open');
  });

  it('a half-open probe whose attempts an inner bulkhead refused frees its slot instead of re-opening the circuit', async () => {
    const breaker = circuitBreaker({ minimumCalls: 1, openMs: 1_000, halfOpenCalls: 1 });
    const slots = bulkhead({ maxConcurrent: 1 });
    const policy = compose(breaker, retryingFullBulkheads(), slots);
    const failed = policy.execute(fail).catch(() => {});
    await vi.advanceTimersByTimeAsync(10);
    await failed;
    expect(breaker.state()).toBe('open');
    await vi.advanceTimersByTimeAsync(1_000);
    const holder = held();
    void slots.execute(holder.operation);
    const probe = policy.execute(ok).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10);
    expect(await probe).toMatchObject({ code: 'RETRY_EXHAUSTED' });
    // Was 'open' for another openMs: a probe that never reached the dependency decided the trial.
    expect(breaker.state()).toBe('half-open');
    holder.release();
    await vi.advanceTimersByTimeAsync(0); // the bulkhead's slot is free again
    await expect(policy.execute(ok)).resolves.toBe('ok'); // the freed probe slot admits the next probe
    expect(breaker.state()).toBe('closed');
  });
});

describe('circuitBreaker times the operation, not the wait for an inner bulkhead slot', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A dependency that answers every call in `ms`. */
  const answersIn = (ms: number) => () => new Promise<string>((resolve) => setTimeout(() => resolve('ok'), ms));

  it('does not count a fast call as slow because it waited its turn in the queue', async () => {
    const breaker = circuitBreaker({
      slowCallMs: 100,
      slowCallRateThreshold: 0.5,
      minimumCalls: 4,
      window: { size: 10 },
    });
    const policy = compose(breaker, bulkhead({ maxConcurrent: 1, maxQueue: 10 }));
    // Each call takes 50 ms at the dependency; waiting for the one slot, the last three ended
    // 100, 150 and 200 ms after they were admitted.
    const calls = Array.from({ length: 4 }, () => policy.execute(answersIn(50)));
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all(calls);
    expect(breaker.state()).toBe('closed');

    // Calls slow at the dependency still count, queued or not.
    const slow = Array.from({ length: 4 }, () => policy.execute(answersIn(150)));
    await vi.advanceTimersByTimeAsync(600);
    await Promise.all(slow);
    expect(breaker.state()).toBe('open');
  });

  it('closes on half-open probes that answered fast after waiting for a slot', async () => {
    const breaker = circuitBreaker({ minimumCalls: 1, openMs: 1_000, halfOpenCalls: 2, slowCallMs: 100 });
    const slots = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    const policy = compose(breaker, slots);
    await policy.execute(fail).catch(() => {});
    expect(breaker.state()).toBe('open');
    await vi.advanceTimersByTimeAsync(1_000);
    const holder = held();
    void slots.execute(holder.operation); // the caller's own congestion, not through the breaker
    const probes = [policy.execute(answersIn(20)), policy.execute(answersIn(20))];
    await vi.advanceTimersByTimeAsync(300);
    holder.release();
    await vi.advanceTimersByTimeAsync(50);
    await expect(Promise.all(probes)).resolves.toEqual(['ok', 'ok']);
    expect(breaker.state()).toBe('closed');
  });
});

describe('circuitBreaker half-open probe that never settles', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('re-opens the circuit after probeTimeoutMs (default: openMs) when a probe without a deadline hangs', async () => {
    const breaker = circuitBreaker({ minimumCalls: 1, openMs: 1_000, halfOpenCalls: 1 });
    const states: string[] = [];
    breaker.onStateChange(({ to }) => states.push(to));
    await breaker.execute(fail).catch(() => {});
    await vi.advanceTimersByTimeAsync(1_000);
    const stuck = breaker.execute(hang); // no deadline, no signal: nothing else can end it
    await vi.advanceTimersByTimeAsync(1);
    expect(breaker.state()).toBe('half-open');
    await expect(breaker.execute(ok)).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    await vi.advanceTimersByTimeAsync(1_000);
    // The probe said nothing for openMs: the dependency is not healthy; the circuit opens again.
    expect(breaker.state()).toBe('open');
    await vi.advanceTimersByTimeAsync(1_000);
    // The dependency recovered: the next probe is admitted and closes the circuit.
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    void stuck;
  });

  it('takes probeTimeoutMs, checks it, and leaves no timer behind once a probe settles', async () => {
    const breaker = circuitBreaker({ minimumCalls: 1, openMs: 10_000, halfOpenCalls: 1, probeTimeoutMs: 200 });
    await breaker.execute(fail).catch(() => {});
    await vi.advanceTimersByTimeAsync(10_000);
    void breaker.execute(hang);
    await vi.advanceTimersByTimeAsync(199);
    expect(breaker.state()).toBe('half-open');
    await vi.advanceTimersByTimeAsync(1);
    expect(breaker.state()).toBe('open');

    await vi.advanceTimersByTimeAsync(10_000);
    const before = pendingDeadlineTimers();
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
    expect(pendingDeadlineTimers()).toBe(before);

    for (const probeTimeoutMs of [0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '100']) {
      expect(() => circuitBreaker({ probeTimeoutMs: probeTimeoutMs as number })).toThrow(
        /circuitBreaker.probeTimeoutMs/,
      );
    }
  });

  it('a probe still queued in a bulkhead at probeTimeoutMs frees its slot rather than re-opening the circuit', async () => {
    const breaker = circuitBreaker({ minimumCalls: 1, openMs: 1_000, halfOpenCalls: 1 });
    const slots = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    const policy = compose(breaker, slots);
    await policy.execute(fail).catch(() => {});
    await vi.advanceTimersByTimeAsync(1_000);
    const holder = held();
    void slots.execute(holder.operation);
    const queuedProbe = policy.execute(ok);
    await vi.advanceTimersByTimeAsync(1_000);
    // It never reached the dependency: no verdict on it, but its slot goes to another probe.
    expect(breaker.state()).toBe('half-open');
    const nextProbe = policy.execute(ok);
    holder.release();
    await expect(queuedProbe).resolves.toBe('ok'); // ran late; its verdict was already given up on
    await expect(nextProbe).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
  });
});
