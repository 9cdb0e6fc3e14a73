/**
 * Records unhandled promise rejections while installed. vitest reports them too; recording them
 * lets a property assert "none" with the offending reason in the failure message.
 */
export function trackUnhandledRejections(): { readonly reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown): void => {
    reasons.push(reason);
  };
  process.on('unhandledRejection', listener);
  return { reasons, stop: () => process.off('unhandledRejection', listener) };
}

/** Lets pending microtasks and immediate callbacks run, so late rejections surface. */
export async function settle(ms = 0): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Records uncaught exceptions while installed (a throw from a socket or timer callback), which
 * would otherwise end the test process: a property can then assert "none" with the error shown.
 */
export function trackUncaughtExceptions(): { readonly errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const listener = (error: unknown): void => {
    errors.push(error);
  };
  process.on('uncaughtException', listener);
  return { errors, stop: () => process.off('uncaughtException', listener) };
}
