import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/**
 * A deadline passed before the call completed. Not retryable by default: the call's own deadline
 * leaves no time. A per-attempt timeout (a tighter deadline inside the call's) passes
 * `retryable: true`, since the call still has time for another attempt.
 */
export class DeadlineExceededError extends SwitchyardError {
  /** `options.retryable` defaults to `false`: pass `true` only when the call still has time left. */
  constructor(message = 'deadline exceeded', options: { cause?: unknown; retryable?: boolean } = {}) {
    super(ErrorCode.DEADLINE_EXCEEDED, message, options);
  }
}
