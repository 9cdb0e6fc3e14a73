import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** The call's absolute deadline passed before it completed. Never retryable: no time is left. */
export class DeadlineExceededError extends SwitchyardError {
  constructor(message = 'deadline exceeded', options: { cause?: unknown } = {}) {
    super(ErrorCode.DEADLINE_EXCEEDED, message, options);
  }
}
