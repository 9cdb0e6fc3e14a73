import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/**
 * Bad input to a public API. `field` names the offending option or property (dotted path, e.g.
 * `instance.ports.grpc`) and `rule` says what it must satisfy; both appear in the message.
 */
export class InvalidArgumentError extends SwitchyardError {
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.INVALID_ARGUMENT, `${field}: ${rule}`, options);
    this.field = field;
    this.rule = rule;
  }
}
