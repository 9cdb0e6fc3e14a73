import { setLongTimeout } from '@switchyard/core';
import type { CallContext } from './call-context.js';

/**
 * Waits `ms` (unref'd timer; past MAX_TIMER_MS in steps, where a plain timer would fire at once),
 * or rejects with the context's abort reason as soon as it aborts.
 */
export function sleepInContext(context: CallContext, ms: number): Promise<void> {
  const aborted = context.abortReason;
  if (aborted) return Promise.reject(aborted);
  return new Promise((resolve, reject) => {
    const remove = context.onAbort((reason) => {
      cancel();
      reject(reason);
    });
    const cancel = setLongTimeout(() => {
      remove();
      resolve();
    }, ms);
  });
}
