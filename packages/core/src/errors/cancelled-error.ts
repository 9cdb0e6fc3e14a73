import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** The caller aborted the operation through its `AbortSignal`. */
export class CancelledError extends SwitchyardError {
  constructor(message = 'operation cancelled', options: { cause?: unknown; retryable?: boolean } = {}) {
    super(ErrorCode.CANCELLED, message, options);
  }
}
