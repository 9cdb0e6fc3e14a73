import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** Every allowed attempt failed. `errors` holds each attempt's error in order; `cause` is the last. */
export class RetryExhaustedError extends SwitchyardError {
  readonly errors: readonly unknown[];
  constructor(errors: readonly unknown[]) {
    super(ErrorCode.RETRY_EXHAUSTED, `all ${errors.length} attempts failed`, { cause: errors[errors.length - 1] });
    this.errors = errors;
  }
}
