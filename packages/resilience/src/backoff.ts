import { assertInteger, assertNumber } from '@switchyard/core';
import { checkOptions, withDefaults } from './options.js';

/** Exponential backoff with full jitter. */
export interface BackoffOptions {
  /** Cap of the first delay. @default 25 */
  initialMs?: number;
  /** Largest delay. @default 1_000, or `initialMs` when that is larger */
  maxMs?: number;
  /** Growth per attempt. @default 2 */
  multiplier?: number;
}

/** Defaults of {@link BackoffOptions}. */
export const DEFAULT_BACKOFF = Object.freeze({ initialMs: 25, maxMs: 1_000, multiplier: 2 });

/** Returns the delay before retry number `retry` (1-based): full jitter, uniform in [0, cap]. */
export function exponentialBackoff(options: BackoffOptions | undefined): (retry: number) => number {
  checkOptions('retry.backoff', options, ['initialMs', 'maxMs', 'multiplier']);
  const { initialMs, multiplier } = withDefaults(DEFAULT_BACKOFF, options);
  assertInteger('retry.backoff.initialMs', initialMs, 0, 3_600_000);
  // The default cap gives way to a larger initialMs (as a breaker's default minimumCalls gives way
  // to a smaller window.size): `{ initialMs: 2_000 }` alone was refused with an error naming
  // maxMs, an option the caller never gave. An explicit maxMs below initialMs is still an error.
  const maxMs = options?.maxMs !== undefined ? options.maxMs : Math.max(DEFAULT_BACKOFF.maxMs, initialMs);
  assertInteger('retry.backoff.maxMs', maxMs, initialMs, 3_600_000);
  assertNumber('retry.backoff.multiplier', multiplier, 1, 100);
  // Full jitter (AWS architecture blog): spreads retries of many clients over the whole window, so
  // an outage's retries never arrive in synchronised waves.
  return (retry) => Math.random() * Math.min(maxMs, initialMs * multiplier ** (retry - 1));
}
