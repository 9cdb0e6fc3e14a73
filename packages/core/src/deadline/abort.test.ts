import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CancelledError,
  DeadlineExceededError,
  deadlineAfter,
  earliestDeadline,
  remainingMs,
  scopedSignal,
  setLongTimeout,
  sleep,
  throwIfDeadlinePassed,
  toCancelled,
} from '@switchyard/core';

describe('deadlines and signals', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('aborts a scoped signal with DeadlineExceededError when the deadline passes', () => {
    const scoped = scopedSignal(undefined, deadlineAfter(100));
    expect(scoped.signal.aborted).toBe(false);
    vi.advanceTimersByTime(100);
    expect(scoped.signal.aborted).toBe(true);
    expect(scoped.signal.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it('aborts with CancelledError when the parent aborts, and cleans up its timer', () => {
    const parent = new AbortController();
    const scoped = scopedSignal(parent.signal, deadlineAfter(1_000));
    parent.abort();
    expect(scoped.signal.reason).toBeInstanceOf(CancelledError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no listener on a long-lived parent after dispose', () => {
    const parent = new AbortController();
    const spy = vi.spyOn(parent.signal, 'removeEventListener');
    for (let i = 0; i < 1_000; i++) scopedSignal(parent.signal, deadlineAfter(50)).dispose();
    expect(spy).toHaveBeenCalledTimes(1_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps a deadline weeks away, and a sleep as long, instead of firing after 1 ms', async () => {
    const days30 = 30 * 86_400_000;
    const far = scopedSignal(undefined, Date.now() + days30);
    let slept = false;
    void sleep(days30).then(() => {
      slept = true;
    });
    vi.advanceTimersByTime(10);
    await Promise.resolve();
    expect(far.signal.aborted).toBe(false);
    expect(slept).toBe(false);
    // Still honoured at the end: re-armed past the longest single timer.
    vi.advanceTimersByTime(days30);
    await Promise.resolve();
    expect(far.signal.reason).toBeInstanceOf(DeadlineExceededError);
    expect(slept).toBe(true);
  });

  it('rejects negative timeouts naming the field', () => {
    expect(() => deadlineAfter(-1)).toThrow(/timeoutMs: must be a number >= 0/);
    expect(remainingMs(Date.now() - 5)).toBe(0);
  });

  it('refuses a NaN deadline or sleep as INVALID_ARGUMENT naming it, instead of timing out after 1 ms', async () => {
    const invalid = (field: string) => ({ code: 'INVALID_ARGUMENT', field });
    // Date.parse() of a malformed header: the signal aborted with DEADLINE_EXCEEDED 1 ms later.
    expect(() => scopedSignal(undefined, Number.NaN)).toThrow(expect.objectContaining(invalid('deadline')));
    expect(() => scopedSignal(new AbortController().signal, Number.NaN)).toThrow(
      expect.objectContaining(invalid('deadline')),
    );
    await expect(sleep(Number.NaN)).rejects.toMatchObject(invalid('ms'));
    expect(() => remainingMs(Number.NaN)).toThrow(expect.objectContaining(invalid('deadline')));
    expect(() => earliestDeadline(Number.NaN, Date.now() + 100)).toThrow(expect.objectContaining(invalid('deadline')));
    expect(() => earliestDeadline(Date.now() + 100, Number.NaN)).toThrow(expect.objectContaining(invalid('deadline')));
    // No deadline and an infinite one are still fine.
    expect(earliestDeadline(undefined, undefined)).toBe(Number.POSITIVE_INFINITY);
    expect(remainingMs(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses a signal that is not an AbortSignal as INVALID_ARGUMENT naming it, leaving no timer behind', async () => {
    const invalid = { code: 'INVALID_ARGUMENT', field: 'signal' };
    for (const notSignal of [{}, 'abort', 1, { aborted: false }]) {
      expect(() => scopedSignal(notSignal as never, deadlineAfter(1_000))).toThrow(expect.objectContaining(invalid));
      expect(() => scopedSignal(notSignal as never)).toThrow(expect.objectContaining(invalid));
      await expect(sleep(1_000, notSignal as never)).rejects.toMatchObject(invalid);
    }
    expect(vi.getTimerCount()).toBe(0);
  });

  it('names a bad deadline, timeout or delay as INVALID_ARGUMENT with a faithful rendering of the value', async () => {
    // A value parsed from config or a header: a null-prototype object made String() throw a raw
    // TypeError ("Cannot convert object to primitive value") in place of the INVALID_ARGUMENT.
    const bare = Object.create(null) as never;
    const invalid = (field: string, got: string) => ({
      code: 'INVALID_ARGUMENT',
      field,
      message: expect.stringContaining(`got ${got}`),
    });
    expect(() => scopedSignal(undefined, bare)).toThrow(expect.objectContaining(invalid('deadline', 'an object')));
    expect(() => deadlineAfter(bare)).toThrow(expect.objectContaining(invalid('timeoutMs', 'an object')));
    expect(() => setLongTimeout(() => {}, bare)).toThrow(expect.objectContaining(invalid('delayMs', 'an object')));
    await expect(sleep(bare)).rejects.toMatchObject(invalid('ms', 'an object'));
    // A string read "got 250", as if the number were the problem.
    expect(() => deadlineAfter('250' as never)).toThrow(expect.objectContaining(invalid('timeoutMs', '"250"')));
    expect(() => throwIfDeadlinePassed('1700000000000' as never)).toThrow(
      expect.objectContaining(invalid('deadline', '"1700000000000"')),
    );
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sleep rejects early on abort', async () => {
    const controller = new AbortController();
    const pending = sleep(1_000, controller.signal);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
  });

  it('reports AbortSignal.timeout() as DEADLINE_EXCEEDED, and lets CANCELLED and DEADLINE_EXCEEDED errors through by code', () => {
    const timedOut = toCancelled(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    expect(timedOut).toBeInstanceOf(DeadlineExceededError);
    expect((timedOut as DeadlineExceededError).cause).toBeInstanceOf(DOMException);
    // A CancelledError from another copy of this package (same code, different class) keeps its flags.
    const foreign = Object.assign(new Error('cancelled elsewhere'), { code: 'CANCELLED', retryable: true });
    Object.defineProperty(foreign, Symbol.for('switchyard.error'), { value: true });
    expect(toCancelled(foreign)).toBe(foreign);
    const own = new CancelledError('x', { retryable: true });
    expect(toCancelled(own)).toBe(own);
    expect(toCancelled(new Error('plain'))).toBeInstanceOf(CancelledError);
    // A plain error that merely carries code CANCELLED is wrapped, with it as the cause.
    expect((toCancelled(Object.assign(new Error('p'), { code: 'CANCELLED' })) as CancelledError).cause).toBeDefined();
  });

  it('gives every unbounded scope its own signal, so listeners never pile up on a shared one', () => {
    const first = scopedSignal(undefined);
    const second = scopedSignal(undefined);
    expect(first.signal).not.toBe(second.signal);
    expect(first.signal.aborted).toBe(false);
  });

  it('refuses a NaN deadline or delay instead of running with none or firing after 1 ms', () => {
    expect(() => throwIfDeadlinePassed(Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const fired = vi.fn();
    expect(() => setLongTimeout(fired, Number.NaN)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    vi.advanceTimersByTime(5);
    expect(fired).not.toHaveBeenCalled();
  });
});
