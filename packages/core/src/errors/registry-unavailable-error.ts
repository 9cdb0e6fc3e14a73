import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** The registry backend could not be reached in time. Retryable: the backend may come back. */
export class RegistryUnavailableError extends SwitchyardError {
  constructor(message = 'registry unavailable', options: { cause?: unknown } = {}) {
    super(ErrorCode.REGISTRY_UNAVAILABLE, message, { ...options, retryable: true });
  }
}
