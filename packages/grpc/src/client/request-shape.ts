import type { MethodDefinition } from '@grpc/grpc-js';
import { describeValue, InvalidArgumentError } from '@switchyard/core';

interface FieldDescriptor {
  name: string;
  type: string;
  label: string;
}

type Check = (value: unknown) => boolean;

const NUMBER: Check = (value) => typeof value === 'number' && Number.isFinite(value);
// NaN and ±Infinity are valid doubles and floats (IEEE 754 on the wire), unlike any integer.
const FLOATING: Check = (value) => typeof value === 'number';
// Integers in the field's range: protobuf.js wraps or truncates any other number without a word
// (-1 in a uint32 went out as 4294967295, 1.5 as 1).
const integerIn =
  (min: number, max: number): Check =>
  (value) =>
    Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const INT32 = integerIn(-(2 ** 31), 2 ** 31 - 1);
const UINT32 = integerIn(0, 2 ** 32 - 1);
// 64-bit: an integral number (beyond 2^53 it has lost digits already; a decimal string keeps them), a
// decimal string or a bigint; unsigned ones not negative.
const LONG: Check = (value) =>
  Number.isInteger(value) || (typeof value === 'string' && /^-?\d+$/.test(value)) || typeof value === 'bigint';
const ULONG: Check = (value) =>
  LONG(value) && !(typeof value === 'string' ? value.startsWith('-') : (value as number | bigint) < 0);
const CHECKS: Record<string, [Check, string]> = {
  TYPE_STRING: [(value) => typeof value === 'string', 'a string'],
  TYPE_BOOL: [(value) => typeof value === 'boolean', 'a boolean'],
  TYPE_BYTES: [(value) => value instanceof Uint8Array || typeof value === 'string', 'bytes (Buffer or base64 string)'],
  TYPE_DOUBLE: [FLOATING, 'a number'],
  TYPE_FLOAT: [FLOATING, 'a number'],
  TYPE_INT32: [INT32, 'a whole number from -2147483648 to 2147483647'],
  TYPE_SINT32: [INT32, 'a whole number from -2147483648 to 2147483647'],
  TYPE_SFIXED32: [INT32, 'a whole number from -2147483648 to 2147483647'],
  TYPE_UINT32: [UINT32, 'a whole number from 0 to 4294967295'],
  TYPE_FIXED32: [UINT32, 'a whole number from 0 to 4294967295'],
  TYPE_INT64: [LONG, 'a whole number or a decimal string'],
  TYPE_SINT64: [LONG, 'a whole number or a decimal string'],
  TYPE_SFIXED64: [LONG, 'a whole number or a decimal string'],
  TYPE_UINT64: [ULONG, 'a whole number or a decimal string, not negative'],
  TYPE_FIXED64: [ULONG, 'a whole number or a decimal string, not negative'],
  TYPE_ENUM: [(value) => typeof value === 'string' || NUMBER(value), 'an enum name or number'],
  TYPE_MESSAGE: [(value) => typeof value === 'object' && !Array.isArray(value), 'an object'],
};

/**
 * A cheap check of a request's top-level fields against its message descriptor (when the definition
 * came from proto-loader): unknown fields and wrong value types are rejected with INVALID_ARGUMENT
 * naming `request.<field>`, where protobuf.js would silently drop or coerce them. Returns undefined
 * for definitions without descriptors. A oneof's own name (proto3 `optional` fields make one named
 * `_<field>`) may carry a string: proto-loader's `oneofs: true` puts the set member's name there
 * when it decodes, so a request a handler received can be passed on as it is; encoding ignores it.
 */
export function requestShapeCheck(
  method: MethodDefinition<unknown, unknown>,
  methodName: string,
): ((request: object) => void) | undefined {
  const descriptor = (
    method as { requestType?: { type?: { name?: string; field?: FieldDescriptor[]; oneofDecl?: { name: string }[] } } }
  ).requestType?.type;
  if (!descriptor?.field) return undefined;
  const typeName = descriptor.name ?? 'request';
  const fields = new Map<string, [Check, string, boolean]>();
  for (const field of descriptor.field) {
    const [check, rule] = CHECKS[field.type] ?? [() => true, 'any value'];
    fields.set(field.name, [check, rule, field.label === 'LABEL_REPEATED']);
  }
  const oneofs = new Set((descriptor.oneofDecl ?? []).map((oneof) => oneof.name));
  return (request) => {
    for (const key in request) {
      const value = (request as Record<string, unknown>)[key];
      if (value === undefined || value === null) continue;
      const field = fields.get(key);
      if (!field && oneofs.has(key)) {
        if (typeof value === 'string') continue;
        throw new InvalidArgumentError(
          `request.${key}`,
          `${methodName}: a oneof's name carries the name of its set field, a string`,
        );
      }
      if (!field) {
        throw new InvalidArgumentError(
          `request.${key}`,
          `${methodName}: unknown field of ${typeName}; fields: ${[...fields.keys()].join(', ')}`,
        );
      }
      const [check, rule, repeated] = field;
      if (repeated ? !Array.isArray(value) && !(rule === 'an object' && typeof value === 'object') : !check(value)) {
        throw new InvalidArgumentError(`request.${key}`, `${methodName}: must be ${repeated ? 'an array' : rule}`);
      }
    }
  };
}

/**
 * Whether `value` can be a request message: an object, not null, not an array, and not a promise
 * (a thenable): one encodes as an empty message, so `requests.map(async …)` sent every request
 * empty, without a word.
 */
export function isRequestObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !isThenable(value);
}

/** What a value refused by {@link isRequestObject} is, for the error: a promise says to await it. */
export function describeNonRequest(value: unknown): string {
  return typeof value === 'object' && value !== null && isThenable(value)
    ? 'a Promise (await it first)'
    : describeValue(value);
}

function isThenable(value: object): boolean {
  return typeof (value as { then?: unknown }).then === 'function';
}
