import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** A retry was needed but the retry budget had no room: the last attempt's error is the `cause`. */
export class RetryBudgetExhaustedError extends SwitchyardError {
  /** Not retryable: the budget that refused this retry would refuse the next one too. */
  constructor(message = 'retry budget exhausted', options: { cause?: unknown } = {}) {
    super(ErrorCode.RETRY_BUDGET_EXHAUSTED, message, options);
  }
}
