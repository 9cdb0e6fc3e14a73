import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** A bulkhead's concurrency and queue were full, or the call waited in its queue too long. */
export class BulkheadFullError extends SwitchyardError {
  /** Not retryable (a `retryOn` of one's own may still retry it). */
  constructor(message = 'bulkhead full', options: { cause?: unknown } = {}) {
    super(ErrorCode.BULKHEAD_FULL, message, options);
  }
}
