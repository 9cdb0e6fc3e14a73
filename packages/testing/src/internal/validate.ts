import { SwitchyardTestingError } from '../testing-error.js';

/** Throws `INVALID_ARGUMENT` unless `value` is an integer in [min, max]. */
export function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SwitchyardTestingError(
      'INVALID_ARGUMENT',
      `${name} must be an integer from ${min} to ${max} (got ${String(value)})`,
    );
  }
}
