import { ErrorCode } from './error-code.js';
import { SwitchyardError } from './switchyard-error.js';

/**
 * Bad input to a public API. `field` names the offending option or property (dotted path, e.g.
 * `instance.ports.grpc`) and `rule` says what it must satisfy; both appear in the message.
 */
export class InvalidArgumentError extends SwitchyardError {
  /** The offending option or property, as a dotted path (`instance.ports.grpc`). */
  readonly field: string;
  /** What the value must satisfy, in words (`must be an integer from 1 to 65535`). */
  readonly rule: string;

  /** The message reads `<field>: <rule>`. Never retryable: the same input fails the same way. */
  constructor(field: string, rule: string, options: { cause?: unknown } = {}) {
    super(ErrorCode.INVALID_ARGUMENT, `${field}: ${rule}`, options);
    this.field = field;
    this.rule = rule;
  }
}
