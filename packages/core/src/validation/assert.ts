/**
 * Small assertion helpers for option and input validation. Each throws an
 * {@link InvalidArgumentError} that names the field and the rule it broke.
 */
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * Short, printable rendering of a bad value for error messages (never the whole of a large value):
 * a string quoted (so `"250"` does not read as the number 250), with every character outside
 * printable ASCII escaped (`"c\u0430talog"`), a number as it is, `an object`, `an array`,
 * `a function`. Never throws, unlike `String(value)` on a null-prototype object.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `a ${value.length}-character string` : escapeNonAscii(JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (Array.isArray(value)) return 'an array';
  // 'an object', not 'a object'.
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * `\uXXXX` (`\u{XXXXX}` past the BMP) for every character outside printable ASCII, which JSON leaves
 * as it is. Every pattern checked here is ASCII, so such a character is what broke the rule, and as
 * it was it did not show: a Cyrillic "а" or a zero-width space read `got "catalog"`, a valid name.
 */
function escapeNonAscii(quoted: string): string {
  return quoted.replace(/[^\x20-\x7e]/gu, (char) => {
    const code = char.codePointAt(0) as number;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Asserts `value` is a plain object (not null, not an array). */
export function assertObject(field: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, `must be an object, got ${describeValue(value)}`);
  }
}

/**
 * Asserts a plain object: an object literal, `Object.create(null)`, or a literal from another realm
 * (a `vm` context, whose Object.prototype is its own), whose own enumerable keys are all it holds. A `Map`, a `Date`, `URLSearchParams` or a class instance passes `assertObject`
 * but keeps its data elsewhere: read by its keys it is `{}`, so the data would be lost without a
 * word. `expected` describes what the field holds (e.g. `an object of string values`; default
 * `an object`). Use it
 * where data is read by key (not per call: it reads the prototype).
 */
export function assertPlainObject(
  field: string,
  value: unknown,
  expected = 'an object',
): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, `must be ${expected}, got ${describeValue(value)}`);
  }
  const proto = Object.getPrototypeOf(value);
  // Another realm's Object.prototype is not ours, but like ours it has no prototype of its own.
  if (proto !== Object.prototype && proto !== null && Object.getPrototypeOf(proto) !== null) {
    throw new InvalidArgumentError(
      field,
      `must be ${expected}, got ${kindOf(value)} (not a plain object: read by its keys it would be {})`,
    );
  }
}

/** `a Map`, `a Date`, `an instance of Tags`: what a non-plain object is, for error messages. */
function kindOf(value: object): string {
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  // 'a URLSearchParams', 'a Uint8Array': a leading U is said 'you'.
  if (tag !== 'Object') return `${/^[AEIO]/.test(tag) ? 'an' : 'a'} ${tag}`;
  const name: unknown = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `an instance of ${name.slice(0, 64)}` : 'an object with a prototype';
}

/**
 * Rejects keys outside `allowed`: a misspelt option must not be silently ignored. The error names
 * at most 64 characters of the key (the whole of a 100 kB key from a corrupt entry went into it).
 */
export function assertKnownKeys(field: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(
        `${field}.${key.slice(0, 64)}`,
        `unknown option; expected one of ${allowed.join(', ')}`,
      );
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
