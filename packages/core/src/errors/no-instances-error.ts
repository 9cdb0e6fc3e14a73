import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/** Discovery has no instance to offer for `service` (none registered, or all filtered out). */
export class NoInstancesError extends SwitchyardError {
  readonly service: string;
  constructor(service: string, detail = 'no live instance') {
    // Retryable: instances come and go, a later attempt may find one.
    super(ErrorCode.NO_INSTANCES, `${service}: ${detail}`, { retryable: true });
    this.service = service;
  }
}
