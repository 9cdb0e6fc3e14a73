import { RegistryUnavailableError } from '@switchyard/core';

export { isRegistryClosedError } from '@switchyard/core';

/**
 * What a registry answers once `close()` has begun: `REGISTRY_UNAVAILABLE`, as before, but marked
 * `registryClosed` and not retryable, so a caller can tell "closed for good" from "unreachable for
 * now" (an outage heals; retrying a closed registry never does). A custom {@link Registry} can mark
 * its own errors the same way (any error with `registryClosed: true`); see `isRegistryClosedError`.
 */
export class RegistryClosedError extends RegistryUnavailableError {
  /** Always `true`: the mark `isRegistryClosedError()` reads. */
  readonly registryClosed = true;
  override readonly retryable = false;
}
