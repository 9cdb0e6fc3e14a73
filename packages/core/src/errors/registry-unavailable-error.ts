import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** The registry backend could not be reached in time. Retryable: the backend may come back. */
export class RegistryUnavailableError extends SwitchyardError {
  constructor(message = 'registry unavailable', options: { cause?: unknown } = {}) {
    super(ErrorCode.REGISTRY_UNAVAILABLE, message, { ...options, retryable: true });
  }
}

/**
 * Whether `error` says its registry was closed for good (`RegistryClosedError` of
 * @switchyard/registry, or any error a custom registry marks `registryClosed: true`), as opposed to
 * unreachable for now: an outage heals, retrying a closed registry never does. Duck-typed, so it
 * holds across copies of the packages, and callers such as discovery load no registry backend.
 */
export function isRegistryClosedError(error: unknown): boolean {
  return (error as { registryClosed?: unknown } | null)?.registryClosed === true;
}
