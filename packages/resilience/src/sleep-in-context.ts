import type { CallContext } from './call-context.js';

/** Waits `ms` (unref'd timer), or rejects with the context's abort reason as soon as it aborts. */
export function sleepInContext(context: CallContext, ms: number): Promise<void> {
  const aborted = context.abortReason;
  if (aborted) return Promise.reject(aborted);
  return new Promise((resolve, reject) => {
    const remove = context.onAbort((reason) => {
      clearTimeout(timer);
      reject(reason);
    });
    const timer = setTimeout(() => {
      remove();
      resolve();
    }, ms);
    timer.unref();
  });
}
