import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** The registry backend could not be reached in time. Retryable: the backend may come back. */
export class RegistryUnavailableError extends SwitchyardError {
  /** `true` when the operation was refused before anything was sent (see {@link isNotSentError}). */
  readonly notSent?: true;

  /** Always retryable. `options.notSent: true` marks an operation that never left the process. */
  constructor(message = 'registry unavailable', options: { cause?: unknown; notSent?: boolean } = {}) {
    super(ErrorCode.REGISTRY_UNAVAILABLE, message, { cause: options.cause, retryable: true });
    if (options.notSent === true) this.notSent = true;
  }
}

/**
 * Whether `error` says its operation never left the process (the registry had no connection to
 * send it on), so sending it again cannot apply it twice and is the only way it will happen. An
 * error without the mark may or may not have been sent. Duck-typed (`notSent: true`), like
 * {@link isRegistryClosedError}, so a custom registry can mark its own errors.
 */
export function isNotSentError(error: unknown): boolean {
  return (error as { notSent?: unknown } | null)?.notSent === true;
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
