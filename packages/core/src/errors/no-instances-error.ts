import { ErrorCode } from './error-code.js';
import { SwitchyardError, type SwitchyardErrorOptions } from './switchyard-error.js';

/**
 * Discovery has no instance to offer for `service` (none registered, all filtered out, none with
 * the port a client dials). Nothing was sent anywhere.
 *
 * Not retryable by default: a retry's backoff (tens of milliseconds) is far shorter than any
 * instance takes to start and register, so retrying only spent the retry budget and turned the
 * caller's answer into RETRY_EXHAUSTED (or RETRY_BUDGET_EXHAUSTED) that hid the cause. Pass
 * `{ retryable: true }` when another pick may well succeed (one picked instance was unusable,
 * others were not). Circuit breakers never count it either way: no dependency was called.
 */
export class NoInstancesError extends SwitchyardError {
  /** The service discovery had nothing to offer for. */
  readonly service: string;
  /**
   * The message reads `<service>: <detail>`. `options.retryable` defaults to `false` (see above).
   */
  constructor(service: string, detail = 'no live instance', options: SwitchyardErrorOptions = {}) {
    super(ErrorCode.NO_INSTANCES, `${service}: ${detail}`, { retryable: false, ...options });
    this.service = service;
  }
}
