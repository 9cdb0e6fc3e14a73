import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** The caller aborted the operation through its `AbortSignal`. */
export class CancelledError extends SwitchyardError {
  /** `options.cause` is usually the signal's `reason`; `options.retryable` defaults to `false`. */
  constructor(message = 'operation cancelled', options: { cause?: unknown; retryable?: boolean } = {}) {
    super(ErrorCode.CANCELLED, message, options);
  }
}
