/** The README's quick start, run as it is shown (the region between the markers). */
import { expect, it } from 'vitest';

const caller = new AbortController(); // the signal of the request being served, say
const fetchSomething = ({ signal }: { signal: AbortSignal }) =>
  new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
const logged: unknown[][] = [];
// The example logs with console.log; here that goes to `logged`.
const console = { log: (...values: unknown[]) => logged.push(values) };

// #region quick-start
import { deadlineAfter, InvalidArgumentError, scopedSignal, SwitchyardError, validateInstance } from '@switchyard/core';

const instance = validateInstance({ service: 'catalog', host: '10.0.0.7', ports: { grpc: 50051 } });
// → { id: 'catalog-3f2a…', weight: 100, metadata: {}, status: 'up', … } (frozen)

try {
  validateInstance({ service: 'cat alog', host: 'x', ports: { grpc: 1 } });
} catch (error) {
  if (error instanceof InvalidArgumentError) console.log(error.field, error.rule); // instance.service, must be a DNS label …
}

// A signal that aborts when the caller's does or when the deadline passes, whichever comes first.
const { signal, dispose } = scopedSignal(caller.signal, deadlineAfter(50));
let outcome = 'answered';
try {
  await fetchSomething({ signal });
} catch (error) {
  if (SwitchyardError.hasCode(error, 'DEADLINE_EXCEEDED')) outcome = 'deadline exceeded';
} finally {
  dispose(); // no listener left on the caller's signal
}
// #endregion quick-start

it('runs the quick start', () => {
  expect(instance).toMatchObject({ service: 'catalog', weight: 100, status: 'up' });
  expect(Object.isFrozen(instance)).toBe(true);
  expect(logged[0]?.[0]).toBe('instance.service');
  expect(outcome).toBe('deadline exceeded');
});
