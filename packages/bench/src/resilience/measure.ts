import { performance } from 'node:perf_hooks';

/** How calls are issued: one at a time, or `batch` started together and awaited with `Promise.all`. */
export type Mode = 'sequential' | 'concurrent';

/** Runs `calls` calls one after another (each awaited before the next starts); ns per call. */
export async function sequentialNs(call: () => Promise<unknown>, calls: number): Promise<number> {
  const started = performance.now();
  for (let index = 0; index < calls; index++) await call();
  return ((performance.now() - started) * 1e6) / calls;
}

/** Runs `calls` calls in groups of `batch` started together, awaiting each group; ns per call. */
export async function concurrentNs(call: () => Promise<unknown>, calls: number, batch: number): Promise<number> {
  const group: Promise<unknown>[] = new Array(batch);
  const started = performance.now();
  for (let done = 0; done < calls; done += batch) {
    for (let index = 0; index < batch; index++) group[index] = call();
    await Promise.all(group);
  }
  return ((performance.now() - started) * 1e6) / calls;
}

/** One timed run in the given mode. `calls` is a multiple of `batch`. */
export function timeCalls(mode: Mode, call: () => Promise<unknown>, calls: number, batch: number): Promise<number> {
  return mode === 'sequential' ? sequentialNs(call, calls) : concurrentNs(call, calls, batch);
}

/**
 * Runs calls for about `warmupMs` (the JIT compiles the subject and the loop), then returns the number
 * of calls that one run of about `runMs` needs, as a multiple of `batch`.
 */
export async function warmUp(
  mode: Mode,
  call: () => Promise<unknown>,
  options: { warmupMs: number; runMs: number; batch: number },
): Promise<number> {
  let calls = options.batch * 10;
  let nsPerCall = 0;
  const until = performance.now() + options.warmupMs;
  do {
    nsPerCall = await timeCalls(mode, call, calls, options.batch);
    if (nsPerCall * calls < 10e6) calls *= 2;
  } while (performance.now() < until);
  return Math.max(options.batch * 10, Math.round((options.runMs * 1e6) / nsPerCall / options.batch) * options.batch);
}

/** A full GC between runs, so one subject's garbage is not collected on the next one's time. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
