import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** A circuit breaker rejected the call without trying it. Retryable on another instance. */
export class CircuitOpenError extends SwitchyardError {
  /** Always retryable (another instance's breaker may be closed), whatever the options say. */
  constructor(message = 'circuit open', options: { cause?: unknown } = {}) {
    super(ErrorCode.CIRCUIT_OPEN, message, { ...options, retryable: true });
  }
}
