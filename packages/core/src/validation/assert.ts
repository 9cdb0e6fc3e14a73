/**
 * Small assertion helpers for option and input validation. Each throws an
 * {@link InvalidArgumentError} that names the field and the rule it broke.
 */
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/** Short, printable rendering of a bad value for error messages (never the whole of a large value). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `a ${value.length}-character string` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Asserts `value` is a plain object (not null, not an array). */
export function assertObject(field: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, `must be an object, got ${describeValue(value)}`);
  }
}

/** Rejects keys outside `allowed`: a misspelt option must not be silently ignored. */
export function assertKnownKeys(field: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(`${field}.${key}`, `unknown option; expected one of ${allowed.join(', ')}`);
    }
  }
}

/** Asserts an integer within [min, max]. */
export function assertInteger(field: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
}

/** Asserts a finite number within [min, max]. */
export function assertNumber(field: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be a number from ${min} to ${max}, got ${describeValue(value)}`);
  }
}

/** Asserts a string that matches `pattern`; `rule` explains the pattern in words. */
export function assertString(field: string, value: unknown, pattern: RegExp, rule: string): asserts value is string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new InvalidArgumentError(field, `${rule}, got ${describeValue(value)}`);
  }
}

/** Asserts one of a fixed set of string values. */
export function assertOneOf<T extends string>(
  field: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(field, `must be one of ${allowed.join(', ')}, got ${describeValue(value)}`);
  }
}
