import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/**
 * A call on a client after its `close()`, or one that was waiting to retry when `close()` ran.
 * Code `UNAVAILABLE`, but not retryable: no other instance would do better, and the call fails
 * before an instance is picked (so none is blamed).
 */
export class ClientClosedError extends SwitchyardError {
  /** Which client, e.g. `gRPC client of catalog`. */
  readonly client: string;
  /** The message reads `<client> is closed`. */
  constructor(client: string) {
    super(ErrorCode.UNAVAILABLE, `${client} is closed`, { retryable: false });
    this.client = client;
  }
}
