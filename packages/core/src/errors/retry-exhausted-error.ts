import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** Every allowed attempt failed. `errors` holds each attempt's error in order; `cause` is the last. */
export class RetryExhaustedError extends SwitchyardError {
  /** Each attempt's error, first to last. */
  readonly errors: readonly unknown[];
  /** Not retryable: the policy already spent every attempt it was allowed. */
  constructor(errors: readonly unknown[]) {
    super(ErrorCode.RETRY_EXHAUSTED, `all ${errors.length} attempts failed`, { cause: errors[errors.length - 1] });
    this.errors = errors;
  }
}
