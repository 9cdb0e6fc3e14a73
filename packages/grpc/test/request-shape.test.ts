import type { MethodDefinition } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { EchoService } from './fixtures/echo.js';
import { requestShapeCheck } from '../src/client/request-shape.js';

/** A method whose request message has one field of `type` (a proto-loader descriptor, as the check reads it). */
function oneField(type: string): (request: object) => void {
  const method = {
    requestType: { type: { name: 'Probe', field: [{ name: 'value', type, label: 'LABEL_OPTIONAL' }] } },
  };
  return requestShapeCheck(method as unknown as MethodDefinition<unknown, unknown>, 'Probe') as (
    request: object,
  ) => void;
}

describe('requestShapeCheck: integer fields', () => {
  // Before: any finite number passed, and protobuf.js wrapped or truncated it on the wire
  // ({ delayMs: -1 } reached the server as 4294967295, 1.5 as 1).
  it('refuses a uint32 that is negative, fractional or over 2^32 - 1, naming the field (a generated definition)', () => {
    const say = requestShapeCheck(EchoService.Say as MethodDefinition<unknown, unknown>, 'Say');
    for (const delayMs of [-1, 1.5, 2 ** 32]) {
      expect(() => say?.({ delayMs })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'request.delayMs' }),
      );
    }
    expect(() => say?.({ delayMs: 'slow' })).toThrow(
      /request\.delayMs: Say: must be a whole number from 0 to 4294967295/,
    );
    for (const delayMs of [0, 250, 2 ** 32 - 1]) expect(() => say?.({ delayMs })).not.toThrow();
  });

  it('keeps each 32-bit type to its range', () => {
    for (const type of ['TYPE_INT32', 'TYPE_SINT32', 'TYPE_SFIXED32']) {
      const check = oneField(type);
      for (const value of [-(2 ** 31), 0, 2 ** 31 - 1]) expect(() => check({ value })).not.toThrow();
      for (const value of [-(2 ** 31) - 1, 2 ** 31, 0.5, Number.NaN])
        expect(() => check({ value })).toThrow(/request\.value/);
    }
    for (const type of ['TYPE_UINT32', 'TYPE_FIXED32']) {
      const check = oneField(type);
      for (const value of [0, 2 ** 32 - 1]) expect(() => check({ value })).not.toThrow();
      for (const value of [-1, 2 ** 32, 0.5]) expect(() => check({ value })).toThrow(/request\.value/);
    }
  });

  it('takes 64-bit integers as whole numbers, decimal strings or bigints, and no negative unsigned one', () => {
    for (const type of ['TYPE_INT64', 'TYPE_SINT64', 'TYPE_SFIXED64']) {
      const check = oneField(type);
      for (const value of [-5, 0, '-9223372036854775808', 9007199254740991n])
        expect(() => check({ value })).not.toThrow();
      for (const value of [1.5, '1.5', '12a']) expect(() => check({ value })).toThrow(/request\.value/);
    }
    for (const type of ['TYPE_UINT64', 'TYPE_FIXED64']) {
      const check = oneField(type);
      for (const value of [0, '18446744073709551615', 7n]) expect(() => check({ value })).not.toThrow();
      for (const value of [-1, '-1', -1n, 2.5]) expect(() => check({ value })).toThrow(/not negative/);
    }
  });
});
